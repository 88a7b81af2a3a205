/* iocctl-report.h — `iocctl report`: the monthly 766 scorecard report
 * (docs/SCORECARD.md "Monthly report").
 *
 *   iocctl report --month 2026-11 --out DIR [--url http://127.0.0.1:8080] [--token T]
 *
 * Reads GET /api/v1/scorecard for the month and for the year to that month
 * and writes, in DIR:
 *   scorecard-YYYY-MM.csv   one row per period × unit × indicator, the
 *                           province first (UTF-8 with a byte-order mark,
 *                           so that a spreadsheet opens it as UTF-8)
 *   scorecard-YYYY-MM.html  the report in Vietnamese, with a print style
 *                           sheet (A4 landscape): the province's score,
 *                           its groups and indicators, the rankings, each
 *                           unit's group points, and in an appendix each
 *                           unit's indicators with their numerators and
 *                           denominators
 * Numbers are the API's, rounded to 2 decimals only when shown.  Exit
 * status: 0 written, 1 the hub refused or could not be read, 2 the command
 * line or DIR could not be used. */
#pragma once

#include <json-glib/json-glib.h>

int ioc_ctl_report (int argc, char **argv);

/* The parts the tests call: the files from the two API answers (month and
 * year to date), generated_at in the report's "prepared at" line. */
void ioc_report_csv (JsonObject *month, JsonObject *ytd, GString *out);
void ioc_report_html (JsonObject *month, JsonObject *ytd, const gchar *generated_at, GString *out);
