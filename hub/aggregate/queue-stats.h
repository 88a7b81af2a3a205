/* queue-stats.h — desk and kiosk events → ioc_queue and ioc_rating facts
 * (SPEC §5 queue and satisfaction).  Stateless per ticket: every counter is
 * an event count and every duration comes with its event.  Main context. */
#pragma once

#include <glib.h>

#include "model/record.h"

G_BEGIN_DECLS

typedef struct _IocQueueStats IocQueueStats;

IocQueueStats *ioc_queue_stats_new (IocFactFunc emit, gpointer user_data);
void           ioc_queue_stats_free (IocQueueStats *self);
/* unit: the registry code the record resolved to, interned.  Records that
 * are not queue or rating events are ignored. */
void           ioc_queue_stats_record (IocQueueStats *self, const IocRecord *rec, const gchar *unit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocQueueStats, ioc_queue_stats_free)

G_END_DECLS
