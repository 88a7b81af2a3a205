/* test-source.h — a source system's HTTP API, as the polling connector
 * kinds (desk, portal) read it, on a loopback SoupServer (port 0).
 *
 *   GET <any path>?after=<n>   (or ?since=<n>)
 *   → {"items":[item n+1 … at most n+25],"cursor":"<last served>"}
 *
 * Items are the test's JSON objects, served in the order added; pages of
 * 25 so that catching up takes several requests.  Served from the
 * thread-default main context of the caller of new: iterate it (the
 * helpers' waits do) while a connector polls. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IocTestSource IocTestSource;

IocTestSource *ioc_test_source_new (GError **error);
guint          ioc_test_source_port (IocTestSource *self);
/* Appends one item (a JSON object, copied). */
void           ioc_test_source_add (IocTestSource *self, const gchar *item_json);
/* Appends a vendor's queue CALL event with both a "quay" and a "window"
 * (connector config maps one of them to the counter): id = its position,
 * time = now. */
void           ioc_test_source_add_desk_call (IocTestSource *self);
guint          ioc_test_source_len (IocTestSource *self);
void           ioc_test_source_free (IocTestSource *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IocTestSource, ioc_test_source_free)

G_END_DECLS
