/* influx-query.c — InfluxQL over HTTP GET /query, answers parsed with
 * json-glib (history reads are rare and small next to ingest; no need for a
 * faster parser here). */
#include "sinks/influx-query.h"

#include <curl/curl.h>
#include <string.h>

#include "protocol/ioc-error.h"

/* A history answer for the wall display is a few thousand points; 64 MiB
 * only stops a runaway query (no GROUP BY) from eating the hub's memory. */
#define IOC_INFLUX_QUERY_MAX_BODY (64u * 1024u * 1024u)

struct _IocInfluxQuery
{
  CURL *curl;
  gchar *url;
  gchar *database;
  gchar *username;
  gchar *password;
  gint64 timeout_us;
  GString *body;
  gboolean body_too_large;
};

IocInfluxQuery *
ioc_influx_query_new (const gchar *url, const gchar *database, const gchar *username, const gchar *password)
{
  g_return_val_if_fail (url != NULL, NULL);
  IocInfluxQuery *self = g_new0 (IocInfluxQuery, 1);
  self->curl = curl_easy_init ();
  self->url = g_strdup (url);
  /* A trailing slash would make "//query", which InfluxDB answers 404. */
  gsize n = strlen (self->url);
  while (n > 0 && self->url[n - 1] == '/')
    self->url[--n] = '\0';
  self->database = g_strdup (database != NULL && *database != '\0' ? database : "ioc");
  if (username != NULL && *username != '\0')
    {
      self->username = g_strdup (username);
      self->password = g_strdup (password != NULL ? password : "");
    }
  self->timeout_us = 10 * G_USEC_PER_SEC;
  self->body = g_string_new (NULL);
  return self;
}

void
ioc_influx_query_free (IocInfluxQuery *self)
{
  if (self == NULL)
    return;
  if (self->curl != NULL)
    curl_easy_cleanup (self->curl);
  g_free (self->url);
  g_free (self->database);
  g_free (self->username);
  g_free (self->password);
  g_string_free (self->body, TRUE);
  g_free (self);
}

void
ioc_influx_query_set_timeout (IocInfluxQuery *self, gint64 timeout_us)
{
  self->timeout_us = timeout_us > 0 ? timeout_us : 10 * G_USEC_PER_SEC;
}

static size_t
ioc_influx_query_body_cb (char *data, size_t size, size_t nmemb, void *user_data)
{
  IocInfluxQuery *self = user_data;
  gsize len = size * nmemb;
  if (self->body->len + len > IOC_INFLUX_QUERY_MAX_BODY)
    {
      self->body_too_large = TRUE;
      return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
  g_string_append_len (self->body, data, (gssize) len);
  return len;
}

/* The "error" member InfluxDB puts at the top or inside one result. */
static const gchar *
ioc_influx_query_error_member (JsonObject *obj)
{
  if (obj != NULL && json_object_has_member (obj, "error"))
    {
      JsonNode *e = json_object_get_member (obj, "error");
      if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
        return json_node_get_string (e);
      return "(an error without a message)";
    }
  return NULL;
}

/* One blocking GET of url into self->body; its HTTP status in *status. */
static gboolean
ioc_influx_query_get (IocInfluxQuery *self, const gchar *url, long *status, GError **error)
{
  char errbuf[CURL_ERROR_SIZE] = "";
  g_string_truncate (self->body, 0);
  self->body_too_large = FALSE;
  curl_easy_reset (self->curl);
  curl_easy_setopt (self->curl, CURLOPT_URL, url);
  curl_easy_setopt (self->curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, ioc_influx_query_body_cb);
  curl_easy_setopt (self->curl, CURLOPT_WRITEDATA, self);
  curl_easy_setopt (self->curl, CURLOPT_NOSIGNAL, 1L); /* worker threads */
  curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, (long) MAX (self->timeout_us / 1000, 1));
  curl_easy_setopt (self->curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (self->curl, CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl can decode */
  if (self->username != NULL)
    {
      curl_easy_setopt (self->curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
      curl_easy_setopt (self->curl, CURLOPT_USERNAME, self->username);
      curl_easy_setopt (self->curl, CURLOPT_PASSWORD, self->password);
    }

  CURLcode rc = curl_easy_perform (self->curl);
  if (rc != CURLE_OK)
    {
      if (self->body_too_large)
        g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP,
                     "InfluxDB query: the answer exceeds %u MiB; narrow the time range or add GROUP BY time",
                     IOC_INFLUX_QUERY_MAX_BODY / (1024u * 1024u));
      else
        g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query to %s: %s", self->url,
                     *errbuf ? errbuf : curl_easy_strerror (rc));
      return FALSE;
    }
  curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, status);
  return TRUE;
}

/* The answer in self->body, checked: HTTP status, a JSON object, no "error"
 * at the top or in any result.  Its "results" array, copied. */
static JsonNode *
ioc_influx_query_parse (IocInfluxQuery *self, long status, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  gboolean parsed = json_parser_load_from_data (parser, self->body->str, (gssize) self->body->len, &parse_error);
  JsonNode *root = parsed ? json_parser_get_root (parser) : NULL;
  JsonObject *top = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  const gchar *top_error = ioc_influx_query_error_member (top);

  if (status < 200 || status > 299)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query to %s: HTTP %ld: %s", self->url, status,
                   top_error != NULL ? top_error : (self->body->len > 0 ? self->body->str : "(empty answer)"));
      return NULL;
    }
  if (top == NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query to %s: the answer is not a JSON object%s%s",
                   self->url, parse_error ? ": " : "", parse_error ? parse_error->message : "");
      return NULL;
    }
  if (top_error != NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query: %s", top_error);
      return NULL;
    }
  JsonNode *results = json_object_get_member (top, "results");
  if (results == NULL || !JSON_NODE_HOLDS_ARRAY (results))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query: the answer has no \"results\" array");
      return NULL;
    }
  JsonArray *arr = json_node_get_array (results);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *r = json_array_get_element (arr, i);
      const gchar *msg = JSON_NODE_HOLDS_OBJECT (r) ? ioc_influx_query_error_member (json_node_get_object (r)) : NULL;
      if (msg != NULL)
        {
          g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query: %s", msg);
          return NULL;
        }
    }
  return json_node_copy (results);
}


/* One blocking request from statement to parsed answer: the URL here, the
 * GET and the checks of the answer in the two steps above, each failure
 * turned into its own error message where it happens. */
JsonNode *
ioc_influx_query_run (IocInfluxQuery *self, const gchar *influxql, GError **error)
{
  g_return_val_if_fail (self != NULL && influxql != NULL, NULL);
  if (self->curl == NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query: libcurl could not be initialised");
      return NULL;
    }

  g_autofree gchar *q = curl_easy_escape (self->curl, influxql, 0) ?: NULL;
  g_autofree gchar *db = curl_easy_escape (self->curl, self->database, 0) ?: NULL;
  if (q == NULL || db == NULL)
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query: out of memory escaping the statement");
      return NULL;
    }
  g_autofree gchar *url = g_strdup_printf ("%s/query?db=%s&epoch=s&q=%s", self->url, db, q);

  long status = 0;
  if (!ioc_influx_query_get (self, url, &status, error))
    return NULL;
  return ioc_influx_query_parse (self, status, error);
}

/* json-glib 1.6 (Debian 12) has no array/object *_with_default getters. */
static JsonArray *
ioc_influx_query_array_member (JsonObject *obj, const gchar *name)
{
  JsonNode *n = json_object_get_member (obj, name);
  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static JsonObject *
ioc_influx_query_object_member (JsonObject *obj, const gchar *name)
{
  JsonNode *n = json_object_get_member (obj, name);
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

gboolean
ioc_influx_query_foreach_row (JsonNode *results, IocInfluxRowFunc func, gpointer user_data, GError **error)
{
  g_return_val_if_fail (func != NULL, FALSE);
  if (results == NULL || !JSON_NODE_HOLDS_ARRAY (results))
    {
      g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query: \"results\" is not an array");
      return FALSE;
    }
  JsonArray *arr = json_node_get_array (results);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *r = json_array_get_element (arr, i);
      if (!JSON_NODE_HOLDS_OBJECT (r))
        continue;
      JsonArray *series = ioc_influx_query_array_member (json_node_get_object (r), "series");
      if (series == NULL) /* an empty result: no rows, not an error */
        continue;
      for (guint s = 0; s < json_array_get_length (series); s++)
        {
          JsonNode *sn = json_array_get_element (series, s);
          if (!JSON_NODE_HOLDS_OBJECT (sn))
            {
              g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query: series %u is not an object", s);
              return FALSE;
            }
          JsonObject *so = json_node_get_object (sn);
          const gchar *name = json_object_get_string_member_with_default (so, "name", "");
          JsonArray *columns = ioc_influx_query_array_member (so, "columns");
          JsonArray *values = ioc_influx_query_array_member (so, "values");
          if (columns == NULL)
            {
              g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP, "InfluxDB query: series '%s' has no columns", name);
              return FALSE;
            }
          g_autoptr (GHashTable) tags = g_hash_table_new (g_str_hash, g_str_equal);
          JsonObject *to = ioc_influx_query_object_member (so, "tags");
          if (to != NULL)
            {
              g_autoptr (GList) keys = json_object_get_members (to);
              for (GList *k = keys; k != NULL; k = k->next)
                {
                  JsonNode *v = json_object_get_member (to, k->data);
                  if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING)
                    g_hash_table_insert (tags, k->data, (gpointer) json_node_get_string (v));
                }
            }
          guint nrows = values != NULL ? json_array_get_length (values) : 0;
          for (guint v = 0; v < nrows; v++)
            {
              JsonNode *row = json_array_get_element (values, v);
              if (!JSON_NODE_HOLDS_ARRAY (row) || json_array_get_length (json_node_get_array (row))
                                                      != json_array_get_length (columns))
                {
                  g_set_error (error, IOC_ERROR, IOC_ERROR_HTTP,
                               "InfluxDB query: row %u of series '%s' does not match its %u columns", v, name,
                               json_array_get_length (columns));
                  return FALSE;
                }
              func (name, tags, columns, json_node_get_array (row), user_data);
            }
        }
    }
  return TRUE;
}

gchar *
ioc_influx_query_quote (const gchar *value)
{
  GString *s = g_string_new ("'");
  for (const gchar *p = value; p != NULL && *p; p++)
    {
      if (*p == '\'' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '\'');
  return g_string_free (s, FALSE);
}
