/* alert-api.h — the alert routes of the hub's HTTP API:
 *
 *   GET  /api/v1/alerts[?all=1]        active alerts (all=1: with recent resolved), stale units
 *   POST /api/v1/alerts/{id}/ack       {"by": "…", "note": "…"}           operator token
 *   GET  /api/v1/silences              active silences
 *   POST /api/v1/silences              {"rule": "glob", "scope": "glob", "duration": "2h" |
 *                                       "expires_at": RFC 3339, "by": "…", "comment": "…"}
 *   DELETE /api/v1/silences/{id}                                          operator token
 *
 * Main context (libsoup handlers). */
#pragma once

#include "alerts/alert-engine.h"
#include "hub-config.h"
#include "io/http-server.h"

G_BEGIN_DECLS

typedef struct
{
  IocAlertEngine *engine;
  const IocHubConfig *(*config) (gpointer data); /* read each time: a reload may swap it */
  gint64 (*now) (gpointer data);
  void (*changed) (gpointer data); /* an ack or silence: save now */
  gpointer data;
} IocAlertApi;

/* api is borrowed and must outlive the server's routes. */
void ioc_alert_api_register (IocHttpServer *http, IocAlertApi *api);

G_END_DECLS
