/* iocctl-report.c — see iocctl-report.h.  Two GETs, two files; nothing is
 * computed here but the rounding for display: every figure is the API's.
 * Single-threaded. */
#include "iocctl-report.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iocctl-cli.h"
#include "iocctl-http.h"
#include "protocol/ioc-time.h"

/* ---- reading the API's JSON ---- */

static gdouble
num (JsonObject *o, const gchar *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return NAN;
  return json_node_get_double (n);
}

static gboolean
has_num (JsonObject *o, const gchar *name)
{
  return !isnan (num (o, name));
}

static gint64
int_of (JsonObject *o, const gchar *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return 0;
  return json_node_get_int (n);
}

static const gchar *
str (JsonObject *o, const gchar *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static JsonArray *
arr (JsonObject *o, const gchar *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static JsonObject *
obj (JsonObject *o, const gchar *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonObject *
find_by (JsonArray *a, const gchar *key, const gchar *value)
{
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      if (g_strcmp0 (str (o, key), value) == 0)
        return o;
    }
  return NULL;
}

/* The unit's card in a document ("all": the province). */
static JsonObject *
card_of (JsonObject *doc, const gchar *unit)
{
  if (strcmp (unit, "all") == 0)
    return obj (doc, "province");
  return find_by (arr (doc, "units"), "unit", unit);
}

/* ---- formatting, the Vietnamese way: 1.234,56 ---- */

static void
put_grouped (GString *out, const gchar *digits)
{
  gsize n = strlen (digits);
  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (out, '.');
      g_string_append_c (out, digits[i]);
    }
}

/* v with 2 decimals ("—" when absent). */
static gchar *
dec (gdouble v)
{
  if (isnan (v))
    return g_strdup ("—");
  g_autoptr (GString) out = g_string_new (NULL);
  gdouble r = round (fabs (v) * 100.0);
  if (v < 0 && r > 0)
    g_string_append_c (out, '-');
  g_autofree gchar *ip = g_strdup_printf ("%.0f", floor (r / 100.0));
  put_grouped (out, ip);
  g_string_append_printf (out, ",%02d", (gint) fmod (r, 100.0));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gchar *
integer (gint64 v)
{
  g_autoptr (GString) out = g_string_new (v < 0 ? "-" : "");
  g_autofree gchar *digits = g_strdup_printf ("%" G_GINT64_FORMAT, v < 0 ? -v : v);
  put_grouped (out, digits);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
esc (GString *out, const gchar *s)
{
  g_autofree gchar *e = g_markup_escape_text (s != NULL ? s : "", -1);
  g_string_append (out, e);
}

/* "2026-11" → "tháng 11/2026". */
static gchar *
month_vi (const gchar *at)
{
  if (at == NULL || strlen (at) != 7)
    return g_strdup ("");
  return g_strdup_printf ("tháng %s/%.4s", at + 5, at);
}

/* "2026-11-30" → "30/11/2026". */
static gchar *
date_vi (const gchar *d)
{
  if (d == NULL || strlen (d) != 10)
    return g_strdup ("");
  return g_strdup_printf ("%s/%.2s/%.4s", d + 8, d + 5, d);
}

/* A code of the API and its words in the report. */
typedef struct
{
  const gchar *code;
  const gchar *vi;
} Words;

/* The words of code in table (ended by { NULL }); "" for another code. */
static const gchar *
words_vi (const Words *table, const gchar *code)
{
  for (; table->code != NULL; table++)
    if (g_strcmp0 (code, table->code) == 0)
      return table->vi;
  return "";
}

/* Why an indicator has no value. */
static const Words status_vi[] = {
  { "na", "N/A (mẫu số bằng 0)" },
  { "not_observed", "Chưa quan sát" },
  { NULL },
};

/* Why a unit is not ranked. */
static const Words unranked_vi[] = {
  { "low_volume", "chưa đủ số hồ sơ tối thiểu" },
  { "no_score", "chưa có chỉ số nào được chấm" },
  { NULL },
};

/* A <td> with a test key and a decimal or an integer value. */
static void
td_dec (GString *out, const gchar *key, gdouble v)
{
  g_autofree gchar *t = dec (v);
  g_string_append_printf (out, "<td class=\"n\" data-k=\"%s\">%s</td>", key, t);
}

static void
td_int (GString *out, const gchar *key, gboolean has, gint64 v)
{
  g_autofree gchar *t = has ? integer (v) : g_strdup ("—");
  g_string_append_printf (out, "<td class=\"n\" data-k=\"%s\">%s</td>", key, t);
}

/* ---- CSV ---- */

static void
csv_field (GString *out, const gchar *s)
{
  if (s == NULL)
    return;
  if (strpbrk (s, ",\"\n\r") == NULL)
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (const gchar *p = s; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_num (GString *out, gdouble v)
{
  if (!isnan (v))
    {
      gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.6f", v));
    }
}

/* ",value" for each of keys (ended by NULL): an empty field where o has no
 * number. */
static void
csv_nums (GString *out, JsonObject *o, const gchar *const *keys)
{
  for (; *keys != NULL; keys++)
    {
      g_string_append_c (out, ',');
      csv_num (out, num (o, *keys));
    }
}

/* o's integer, nothing where o (may be NULL) has no number. */
static void
csv_int (GString *out, JsonObject *o, const gchar *name)
{
  if (has_num (o, name))
    g_string_append_printf (out, "%" G_GINT64_FORMAT, int_of (o, name));
}

static void
csv_unit (GString *out, JsonObject *doc, JsonObject *card, GHashTable *ranks)
{
  JsonObject *period = obj (doc, "period");
  JsonArray *defs = arr (doc, "indicators");
  JsonArray *items = arr (card, "indicators");
  JsonObject *rank = g_hash_table_lookup (ranks, str (card, "unit"));
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonObject *it = json_array_get_object_element (items, i);
      JsonObject *def = find_by (defs, "id", str (it, "id"));
      const gchar *fields[] = { str (period, "kind"), str (period, "at"), str (card, "unit"), str (card, "name"),
                                str (it, "id"), str (def, "group"), str (it, "status") };
      for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
        {
          csv_field (out, fields[f]);
          g_string_append_c (out, ',');
        }
      static const gchar *const item_keys[] = { "rate", "target", "points", "max", NULL };
      static const gchar *const card_keys[] = { "score", "points", "max", NULL };
      csv_int (out, it, "numerator");
      g_string_append_c (out, ',');
      csv_int (out, it, "denominator");
      csv_nums (out, it, item_keys);
      csv_nums (out, card, card_keys);
      g_string_append_printf (out, ",%" G_GINT64_FORMAT ",", int_of (card, "volume"));
      csv_int (out, rank, "rank");
      g_string_append_c (out, ',');
      csv_int (out, rank, "change");
      g_string_append (out, "\r\n");
    }
}

/* unit code → its ranking row (borrowed from doc). */
static GHashTable *
rank_rows (JsonObject *doc)
{
  GHashTable *t = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *ranking = obj (doc, "ranking");
  if (ranking == NULL)
    return t;
  GList *members = json_object_get_members (ranking);
  for (GList *m = members; m != NULL; m = m->next)
    {
      JsonArray *rows = arr (ranking, m->data);
      for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
        {
          JsonObject *r = json_array_get_object_element (rows, i);
          if (str (r, "unit") != NULL)
            g_hash_table_insert (t, (gpointer) str (r, "unit"), r);
        }
    }
  g_list_free (members);
  return t;
}

void
ioc_report_csv (JsonObject *month, JsonObject *ytd, GString *out)
{
  g_string_append (out, "\xEF\xBB\xBF"); /* BOM: spreadsheets then read UTF-8 */
  g_string_append (out, "period,at,unit,name,indicator,group,status,numerator,denominator,rate,target,points,max,"
                        "unit_score,unit_points,unit_max,volume,rank,rank_change\r\n");
  JsonObject *docs[] = { month, ytd };
  for (guint d = 0; d < G_N_ELEMENTS (docs); d++)
    {
      if (docs[d] == NULL)
        continue;
      g_autoptr (GHashTable) ranks = rank_rows (docs[d]);
      csv_unit (out, docs[d], obj (docs[d], "province"), ranks);
      JsonArray *units = arr (docs[d], "units");
      for (guint i = 0; units != NULL && i < json_array_get_length (units); i++)
        csv_unit (out, docs[d], json_array_get_object_element (units, i), ranks);
    }
}

/* ---- HTML ---- */

static const gchar style[] =
    "body{font-family:\"Times New Roman\",\"DejaVu Serif\",serif;font-size:12pt;color:#000;margin:1.5cm;}\n"
    "h1{font-size:15pt;text-align:center;margin:.3em 0;text-transform:uppercase;}\n"
    "h2{font-size:13pt;margin:1.2em 0 .4em;}\nh3{font-size:12pt;margin:.9em 0 .3em;}\n"
    ".org{text-align:center;font-weight:bold;margin:0;}\n.sub{text-align:center;margin:.2em 0 1em;}\n"
    ".meta,.note{font-size:10pt;color:#333;}\n"
    "table{border-collapse:collapse;width:100%;margin:.3em 0 .8em;font-size:10pt;}\n"
    "th,td{border:1px solid #555;padding:2px 4px;vertical-align:top;}\n"
    "th{background:#e8e8e8;font-weight:bold;}\nthead{display:table-header-group;}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;}\n"
    "td.c{text-align:center;}\ntr.muted td{color:#666;}\n"
    ".big{font-size:14pt;font-weight:bold;}\n.up{color:#07632f;}\n.down{color:#9b1c1c;}\n"
    ".unit{break-inside:avoid;page-break-inside:avoid;}\n"
    "@page{size:A4 landscape;margin:1.2cm;}\n"
    "@media print{body{margin:0;font-size:11pt;}.appendix{break-before:page;page-break-before:always;}"
    "h2{break-after:avoid;page-break-after:avoid;}tr{break-inside:avoid;page-break-inside:avoid;}}\n";

static JsonObject *
group_of (JsonObject *card, const gchar *id)
{
  return find_by (arr (card, "groups"), "id", id);
}

static void
html_summary (GString *out, JsonObject *month, JsonObject *ytd)
{
  JsonObject *pm = obj (month, "province"), *py = obj (ytd, "province");
  g_autofree gchar *mlabel = month_vi (str (obj (month, "period"), "at"));
  g_string_append (out, "<table class=\"summary\" data-testid=\"province-summary\"><thead><tr><th></th><th>");
  esc (out, mlabel);
  g_string_append (out, "</th><th>Lũy kế từ đầu năm</th></tr></thead><tbody>\n");
  struct
  {
    const gchar *label, *key;
    gboolean is_int;
  } rows[] = { { "Điểm (thang 100)", "score", FALSE },
               { "Điểm đạt được", "points", FALSE },
               { "Điểm tối đa của các chỉ số đã chấm", "max", FALSE },
               { "Độ phủ (tỷ lệ điểm tối đa đã chấm trên tổng)", "coverage", FALSE },
               { "Số hồ sơ làm căn cứ (mẫu số chỉ số 2.1)", "volume", TRUE } };
  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      g_string_append_printf (out, "<tr%s><td>", r == 0 ? " class=\"big\"" : "");
      esc (out, rows[r].label);
      g_string_append (out, "</td>");
      JsonObject *cards[] = { pm, py };
      const gchar *prefix[] = { "m-", "y-" };
      for (guint c = 0; c < 2; c++)
        {
          g_autofree gchar *key = g_strconcat (prefix[c], rows[r].key, NULL);
          if (rows[r].is_int)
            td_int (out, key, TRUE, int_of (cards[c], rows[r].key));
          else if (strcmp (rows[r].key, "coverage") == 0)
            td_dec (out, key, num (cards[c], "coverage") * 100.0);
          else
            td_dec (out, key, num (cards[c], rows[r].key));
        }
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
}

static void
html_groups (GString *out, JsonObject *month, JsonObject *ytd)
{
  JsonObject *pm = obj (month, "province"), *py = obj (ytd, "province");
  g_string_append (out, "<table data-testid=\"province-groups\"><thead><tr><th>Nhóm chỉ số</th><th>Điểm tối đa</th>"
                        "<th>Điểm tháng</th><th>Tối đa đã chấm (tháng)</th><th>Điểm lũy kế</th>"
                        "<th>Tối đa đã chấm (lũy kế)</th></tr></thead><tbody>\n");
  JsonArray *groups = arr (month, "groups");
  for (guint g = 0; groups != NULL && g < json_array_get_length (groups); g++)
    {
      JsonObject *def = json_array_get_object_element (groups, g);
      const gchar *id = str (def, "id");
      g_string_append_printf (out, "<tr data-group=\"%s\"><td>", id);
      esc (out, str (def, "name"));
      g_string_append (out, "</td>");
      td_dec (out, "full_max", num (def, "max"));
      td_dec (out, "m-points", num (group_of (pm, id), "points"));
      td_dec (out, "m-max", num (group_of (pm, id), "max"));
      td_dec (out, "y-points", num (group_of (py, id), "points"));
      td_dec (out, "y-max", num (group_of (py, id), "max"));
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
}

/* The indicator table of a unit (the province: month and year to date). */
static void
html_indicators (GString *out, JsonObject *month, JsonObject *ytd, const gchar *unit)
{
  JsonObject *cm = card_of (month, unit), *cy = ytd != NULL ? card_of (ytd, unit) : NULL;
  JsonArray *defs = arr (month, "indicators");
  g_string_append_printf (out, "<table data-testid=\"indicators-%s\"><thead><tr><th>Mã</th><th>Chỉ số</th>"
                               "<th>Tử số</th><th>Mẫu số</th><th>Tỷ lệ R (%%)</th>",
                          unit);
  if (cy != NULL)
    g_string_append (out, "<th>Điểm tháng</th><th>Tử số lũy kế</th><th>Mẫu số lũy kế</th><th>R lũy kế (%)</th>"
                          "<th>Điểm lũy kế</th>");
  else
    g_string_append (out, "<th>Điểm</th>");
  g_string_append (out, "<th>Chỉ tiêu T (%)</th><th>Tối đa</th><th>Ghi chú</th></tr></thead><tbody>\n");
  for (guint i = 0; defs != NULL && i < json_array_get_length (defs); i++)
    {
      JsonObject *def = json_array_get_object_element (defs, i);
      const gchar *id = str (def, "id");
      JsonObject *m = find_by (arr (cm, "indicators"), "id", id);
      JsonObject *y = cy != NULL ? find_by (arr (cy, "indicators"), "id", id) : NULL;
      gboolean unscored = g_strcmp0 (str (m, "status"), "scored") != 0;
      g_string_append_printf (out, "<tr data-unit=\"%s\" data-ind=\"%s\"%s><td>", unit, id,
                              unscored ? " class=\"muted\"" : "");
      esc (out, id);
      g_string_append (out, "</td><td>");
      esc (out, str (def, "name"));
      g_string_append (out, "</td>");
      td_int (out, "num", has_num (m, "numerator"), int_of (m, "numerator"));
      td_int (out, "den", has_num (m, "denominator"), int_of (m, "denominator"));
      td_dec (out, "rate", num (m, "rate"));
      td_dec (out, "points", num (m, "points"));
      if (cy != NULL)
        {
          td_int (out, "y-num", has_num (y, "numerator"), int_of (y, "numerator"));
          td_int (out, "y-den", has_num (y, "denominator"), int_of (y, "denominator"));
          td_dec (out, "y-rate", num (y, "rate"));
          td_dec (out, "y-points", num (y, "points"));
        }
      td_dec (out, "target", num (def, "target"));
      td_dec (out, "max", num (def, "max"));
      g_string_append (out, "<td>");
      esc (out, words_vi (status_vi, str (m, "status")));
      g_string_append (out, "</td></tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
}

static void
html_ranking (GString *out, JsonObject *month, JsonObject *ytd, const gchar *prefix, const gchar *title)
{
  JsonArray *rows = arr (obj (month, "ranking"), prefix);
  g_autoptr (GHashTable) yranks = rank_rows (ytd);
  g_string_append_printf (out, "<h3>%s</h3>\n", title);
  if (rows == NULL || json_array_get_length (rows) == 0)
    {
      g_string_append (out, "<p class=\"note\">Không có đơn vị nào.</p>\n");
      return;
    }
  g_string_append_printf (out, "<table data-testid=\"ranking-%s\"><thead><tr><th>Hạng</th><th>So với tháng trước</th>"
                               "<th>Mã</th><th>Đơn vị</th><th>Điểm tháng</th><th>Số hồ sơ</th><th>Hạng lũy kế</th>"
                               "<th>Điểm lũy kế</th><th>Ghi chú</th></tr></thead><tbody>\n",
                          prefix);
  g_autoptr (GString) nothing = g_string_new (NULL);
  guint n_nothing = 0;
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      const gchar *unit = str (r, "unit");
      if (g_strcmp0 (str (r, "state"), "no_score") == 0 && int_of (r, "volume") == 0)
        {
          /* Nothing at all to show: one line for all of them. */
          if (n_nothing++ > 0)
            g_string_append (nothing, ", ");
          esc (nothing, str (r, "name") != NULL ? str (r, "name") : unit);
          continue;
        }
      JsonObject *y = g_hash_table_lookup (yranks, unit);
      g_string_append_printf (out, "<tr data-rank-unit=\"%s\">", unit);
      td_int (out, "rank", has_num (r, "rank"), int_of (r, "rank"));
      if (has_num (r, "change"))
        {
          gint64 c = int_of (r, "change");
          g_string_append_printf (out, "<td class=\"c %s\" data-k=\"change\">%s%" G_GINT64_FORMAT "</td>",
                                  c > 0 ? "up" : c < 0 ? "down" : "", c > 0 ? "▲ +" : c < 0 ? "▼ " : "", c);
        }
      else
        g_string_append_printf (out, "<td class=\"c\" data-k=\"change\">%s</td>", has_num (r, "rank") ? "mới" : "—");
      g_string_append (out, "<td>");
      esc (out, unit);
      g_string_append (out, "</td><td>");
      esc (out, str (r, "name"));
      g_string_append (out, "</td>");
      td_dec (out, "score", num (r, "score"));
      td_int (out, "volume", TRUE, int_of (r, "volume"));
      td_int (out, "y-rank", y != NULL && has_num (y, "rank"), int_of (y, "rank"));
      td_dec (out, "y-score", num (y, "score"));
      g_string_append (out, "<td>");
      esc (out, words_vi (unranked_vi, str (r, "state")));
      g_string_append (out, "</td></tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
  if (n_nothing > 0)
    g_string_append_printf (out, "<p class=\"note\" data-testid=\"no-data-%s\">Chưa có dữ liệu trong tháng (%u đơn vị): "
                                 "%s.</p>\n",
                            prefix, n_nothing, nothing->str);
}

/* Units with something to show: a score, a volume or a fed value. */
static gboolean
has_data (JsonObject *card)
{
  if (has_num (card, "score") || int_of (card, "volume") > 0 || int_of (card, "ratings") > 0)
    return TRUE;
  JsonArray *items = arr (card, "indicators");
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    if (g_strcmp0 (str (json_array_get_object_element (items, i), "status"), "not_observed") != 0
        && int_of (json_array_get_object_element (items, i), "denominator") > 0)
      return TRUE;
  return FALSE;
}

static void
html_unit_groups (GString *out, JsonObject *month)
{
  JsonArray *groups = arr (month, "groups");
  g_string_append (out, "<table data-testid=\"unit-groups\"><thead><tr><th>Mã</th><th>Đơn vị</th>");
  for (guint g = 0; groups != NULL && g < json_array_get_length (groups); g++)
    {
      JsonObject *def = json_array_get_object_element (groups, g);
      g_autofree gchar *m = dec (num (def, "max"));
      g_string_append (out, "<th>");
      esc (out, str (def, "name"));
      g_string_append_printf (out, " (%s)</th>", m);
    }
  g_string_append (out, "<th>Điểm đạt / tối đa đã chấm</th><th>Điểm (thang 100)</th><th>Số hồ sơ</th></tr></thead>"
                        "<tbody>\n");
  JsonArray *units = arr (month, "units");
  for (guint i = 0; units != NULL && i < json_array_get_length (units); i++)
    {
      JsonObject *u = json_array_get_object_element (units, i);
      if (!has_data (u))
        continue;
      g_string_append_printf (out, "<tr data-unit-row=\"%s\"><td>", str (u, "unit"));
      esc (out, str (u, "unit"));
      g_string_append (out, "</td><td>");
      esc (out, str (u, "name"));
      g_string_append (out, "</td>");
      for (guint g = 0; groups != NULL && g < json_array_get_length (groups); g++)
        {
          const gchar *id = str (json_array_get_object_element (groups, g), "id");
          g_autofree gchar *key = g_strconcat ("g-", id, NULL);
          JsonObject *gr = group_of (u, id);
          /* A group with nothing scored shows as such, not as 0. */
          td_dec (out, key, num (gr, "max") > 0 ? num (gr, "points") : NAN);
        }
      g_autofree gchar *p = dec (num (u, "points"));
      g_autofree gchar *m = dec (num (u, "max"));
      g_string_append_printf (out, "<td class=\"n\" data-k=\"points-max\">%s / %s</td>", p, m);
      td_dec (out, "score", num (u, "score"));
      td_int (out, "volume", TRUE, int_of (u, "volume"));
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
}

/* The document's head and title block: the period, the scoring table's
 * version and, for a month not closed or without its stock, a note. */
static void
html_head (GString *out, JsonObject *month, JsonObject *ytd, const gchar *generated_at)
{
  JsonObject *period = obj (month, "period"), *config = obj (month, "config"), *pm = obj (month, "province");
  g_autofree gchar *mlabel = month_vi (str (period, "at"));
  g_autofree gchar *from = date_vi (str (period, "from"));
  g_autofree gchar *to = date_vi (str (period, "to"));
  g_autofree gchar *yfrom = date_vi (str (obj (ytd, "period"), "from"));
  g_string_append (out, "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
  g_string_append_printf (out, "Báo cáo Bộ chỉ số phục vụ người dân, doanh nghiệp — %s", mlabel);
  g_string_append (out, "</title>\n<style>\n");
  g_string_append (out, style);
  g_string_append (out, "</style>\n</head>\n<body>\n<p class=\"org\">");
  esc (out, str (pm, "name"));
  g_string_append (out, "</p>\n<h1>Báo cáo kết quả Bộ chỉ số phục vụ người dân, doanh nghiệp</h1>\n");
  g_string_append_printf (out, "<p class=\"sub\" data-testid=\"period\">%s (từ %s đến %s) · lũy kế từ %s đến %s</p>\n",
                          mlabel, from, to, yfrom, to);
  g_string_append (out, "<p class=\"meta\">Theo Quyết định 766/QĐ-TTg. Bộ trọng số và chỉ tiêu: ");
  esc (out, str (config, "title"));
  g_string_append (out, ", phiên bản <b data-testid=\"version\">");
  esc (out, str (config, "version"));
  g_string_append (out, "</b> (");
  esc (out, str (config, "source"));
  g_string_append (out, "). Số liệu do hệ thống IOC tính từ hồ sơ, đánh giá và số liệu các kết nối gửi về; lập lúc ");
  esc (out, generated_at);
  g_string_append (out, ".</p>\n");
  const gchar *stock = str (period, "stock");
  if (g_strcmp0 (stock, "now") == 0)
    g_string_append (out, "<p class=\"note\" data-testid=\"stock\">Tháng chưa kết thúc: số liệu tạm tính đến thời điểm "
                          "lập báo cáo; hồ sơ đang xử lý được tính theo tình trạng hiện tại.</p>\n");
  else if (g_strcmp0 (stock, "none") == 0)
    g_string_append (out, "<p class=\"note\" data-testid=\"stock\">Hệ thống không ghi nhận được số hồ sơ đang xử lý "
                          "tại thời điểm cuối tháng: chỉ số 2.1 và 5.4 của tháng chỉ tính hồ sơ đã giải quyết "
                          "xong.</p>\n");
}

/* The appendix: each unit with data, its indicators for the month. */
static void
html_appendix (GString *out, JsonObject *month)
{
  g_string_append (out, "<section class=\"appendix\">\n<h2>Phụ lục. Chi tiết chỉ số của từng đơn vị (tháng)</h2>\n");
  JsonArray *units = arr (month, "units");
  for (guint i = 0; units != NULL && i < json_array_get_length (units); i++)
    {
      JsonObject *u = json_array_get_object_element (units, i);
      if (!has_data (u))
        continue;
      g_autofree gchar *score = dec (num (u, "score"));
      g_string_append (out, "<div class=\"unit\"><h3>");
      esc (out, str (u, "unit"));
      g_string_append (out, " — ");
      esc (out, str (u, "name"));
      g_string_append_printf (out, ": %s điểm</h3>\n", score);
      html_indicators (out, month, NULL, str (u, "unit"));
      g_string_append (out, "</div>\n");
    }
  g_string_append (out, "</section>\n");
}

void
ioc_report_html (JsonObject *month, JsonObject *ytd, const gchar *generated_at, GString *out)
{
  html_head (out, month, ytd, generated_at);
  JsonObject *config = obj (month, "config");

  g_string_append (out, "<h2>I. Kết quả của tỉnh</h2>\n");
  html_summary (out, month, ytd);
  g_string_append (out, "<h3>Điểm theo nhóm chỉ số</h3>\n");
  html_groups (out, month, ytd);
  g_string_append (out, "<h3>Chi tiết từng chỉ số</h3>\n");
  html_indicators (out, month, ytd, "all");

  g_string_append (out, "<h2>II. Xếp hạng</h2>\n");
  g_autofree gchar *min_volume = integer (int_of (config, "min_volume"));
  g_string_append_printf (out, "<p class=\"note\">Xếp hạng theo điểm tháng (làm tròn 2 chữ số), đơn vị có từ %s hồ sơ "
                               "trở lên; bằng điểm thì đơn vị nhiều hồ sơ hơn xếp trước, rồi theo mã. Cột \"so với "
                               "tháng trước\": số bậc tăng (▲) hoặc giảm (▼).</p>\n",
                          min_volume);
  JsonObject *ranking = obj (month, "ranking");
  GList *prefixes = ranking != NULL ? json_object_get_members (ranking) : NULL;
  for (GList *p = prefixes; p != NULL; p = p->next)
    {
      const gchar *prefix = p->data;
      const gchar *title = strcmp (prefix, "xa") == 0   ? "Các xã, phường, thị trấn"
                           : strcmp (prefix, "cq") == 0 ? "Các sở, ban, ngành"
                                                        : prefix;
      html_ranking (out, month, ytd, prefix, title);
    }
  g_list_free (prefixes);

  g_string_append (out, "<h2>III. Điểm theo nhóm của từng đơn vị (tháng)</h2>\n");
  html_unit_groups (out, month);

  html_appendix (out, month);
  g_string_append (out, "<p class=\"note\">Quy tắc chấm: có chỉ tiêu T thì đạt tối đa khi R ≥ T, nếu không "
                        "được R × tối đa / T; không có chỉ tiêu thì R × tối đa / 100. Chỉ số có mẫu số bằng 0 (N/A) "
                        "hoặc chưa quan sát được không tính vào điểm tối đa; điểm (thang 100) = điểm đạt × 100 / "
                        "điểm tối đa đã chấm. R tính từ tổng tử số và tổng mẫu số, không lấy bình quân các tỷ lệ.</p>\n"
                        "</body>\n</html>\n");
}

/* ---- fetching ---- */

/* (transfer full) the API's answer for kind at month; NULL with error. */
static JsonNode *
fetch (const gchar *url, const gchar *token, const gchar *kind, const gchar *month, GError **error)
{
  g_autofree gchar *full = g_strdup_printf ("%s/api/v1/scorecard?period=%s&at=%s", url, kind, month);
  glong status;
  g_autofree gchar *body = ioc_ctl_http_request ("GET", full, token, NULL, 30, &status, error);
  if (body == NULL)
    return NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gboolean parsed = json_parser_load_from_data (parser, body, -1, NULL);
  JsonNode *root = parsed ? json_parser_get_root (parser) : NULL;
  if (status != 200)
    {
      const gchar *why = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? str (json_node_get_object (root), "error")
                                                                       : NULL;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "GET %s: HTTP %ld: %s", full, status,
                   why != NULL ? why : body);
      return NULL;
    }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "GET %s: the answer is not a JSON object", full);
      return NULL;
    }
  return json_node_copy (root);
}

static gboolean
valid_month (const gchar *m)
{
  if (m == NULL || strlen (m) != 7 || m[4] != '-')
    return FALSE;
  for (guint i = 0; i < 7; i++)
    if (i != 4 && !g_ascii_isdigit (m[i]))
      return FALSE;
  gint mm = atoi (m + 5);
  return mm >= 1 && mm <= 12;
}

int
ioc_ctl_report (int argc, char **argv)
{
  g_autofree gchar *month = NULL, *out_dir = NULL, *url = NULL, *token = NULL;
  GOptionEntry entries[] = {
    { "month", 'm', 0, G_OPTION_ARG_STRING, &month, "The month reported, e.g. 2026-11 (default: last month)", "YYYY-MM" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "Where to write scorecard-YYYY-MM.csv and .html", "DIR" },
    IOC_CTL_OPTION_URL (url),
    IOC_CTL_OPTION_TOKEN (token, "Read token (or IOCCTL_TOKEN)"),
    { NULL }
  };
  if (!ioc_ctl_parse_options_full ("report", "--month YYYY-MM --out DIR",
                                   "Write the monthly 766 scorecard report (CSV and printable HTML, in Vietnamese)\n"
                                   "from the hub's GET /api/v1/scorecard.",
                                   NULL, entries, &argc, &argv))
    return EXIT_USAGE;
  if (out_dir == NULL)
    {
      g_printerr ("iocctl report: --out DIR is required\n");
      return EXIT_USAGE;
    }
  if (month == NULL)
    {
      gint y, m;
      ioc_time_local_date (g_get_real_time (), &y, &m, NULL, NULL, NULL);
      if (--m == 0)
        {
          m = 12;
          y--;
        }
      month = g_strdup_printf ("%04d-%02d", y, m);
    }
  if (!valid_month (month))
    {
      g_printerr ("iocctl report: --month: expected a month YYYY-MM (e.g. 2026-11), got '%s'\n", month);
      return EXIT_USAGE;
    }
  g_autofree gchar *base = ioc_ctl_hub_url (url);
  ioc_ctl_env_token (&token);
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      g_printerr ("iocctl report: --out %s: cannot create: %s\n", out_dir, g_strerror (errno));
      return EXIT_USAGE;
    }

  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) m = fetch (base, token, "month", month, &error);
  g_autoptr (JsonNode) y = m != NULL ? fetch (base, token, "ytd", month, &error) : NULL;
  if (y == NULL)
    {
      g_printerr ("iocctl report: %s\n", error->message);
      return EXIT_CHECK;
    }
  /* Vietnam's time, as every date in the report, whatever the zone of the
   * machine iocctl runs on (servers often keep UTC). */
  gint gy, gm, gd, gmin;
  ioc_time_local_date (g_get_real_time (), &gy, &gm, &gd, NULL, &gmin);
  g_autofree gchar *generated = g_strdup_printf ("%02d:%02d ngày %02d/%02d/%04d", gmin / 60, gmin % 60, gd, gm, gy);
  g_autoptr (GString) csv = g_string_new (NULL);
  g_autoptr (GString) html = g_string_new (NULL);
  ioc_report_csv (json_node_get_object (m), json_node_get_object (y), csv);
  ioc_report_html (json_node_get_object (m), json_node_get_object (y), generated, html);
  g_autofree gchar *csv_name = g_strdup_printf ("scorecard-%s.csv", month);
  g_autofree gchar *html_name = g_strdup_printf ("scorecard-%s.html", month);
  g_autofree gchar *csv_path = g_build_filename (out_dir, csv_name, NULL);
  g_autofree gchar *html_path = g_build_filename (out_dir, html_name, NULL);
  if (!g_file_set_contents (csv_path, csv->str, (gssize) csv->len, &error)
      || !g_file_set_contents (html_path, html->str, (gssize) html->len, &error))
    {
      g_printerr ("iocctl report: %s\n", error->message);
      return EXIT_USAGE;
    }
  JsonObject *p = obj (json_node_get_object (m), "province");
  g_autofree gchar *score = dec (num (p, "score"));
  g_autofree gchar *yscore = dec (num (obj (json_node_get_object (y), "province"), "score"));
  g_print ("%s\n%s\nprovince: %s (month), %s (year to date); weights %s\n", csv_path, html_path, score, yscore,
           str (obj (json_node_get_object (m), "config"), "version"));
  return EXIT_GOOD;
}
