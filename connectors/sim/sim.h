/* sim.h — what ioc-sim's two modes (sim-source.c, sim-traffic.c) share. */
#pragma once

#include <glib.h>

/* Cameras, and counters, per site. */
#define SIM_CAMS 4

/* The services a kiosk issues tickets for (defined in ioc-sim.c). */
extern const gchar *const ioc_sim_services[5];
