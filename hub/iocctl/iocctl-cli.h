/* iocctl-cli.h — what every iocctl command shares: the exit statuses, option
 * parsing that names the command in its errors, JSON output, and the
 * options of the commands that talk to the hub (its URL, a token, --json).
 * Single-threaded tool code. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* 0 good, 1 a check failed (an error found, a connector down, a config
 * rejected, the hub refused), 2 the command line or a file could not be
 * used. */
enum { EXIT_GOOD = 0, EXIT_CHECK = 1, EXIT_USAGE = 2 };

/* The hub's address when --url is not given. */
#define IOC_CTL_DEFAULT_URL "http://127.0.0.1:8080"

/* The GOptionEntry rows most commands have; help is the text --help shows. */
#define IOC_CTL_OPTION_URL(var)                                                                                   \
  { "url", 'u', 0, G_OPTION_ARG_STRING, &(var), "The hub's HTTP address (default " IOC_CTL_DEFAULT_URL ")", "URL" }
#define IOC_CTL_OPTION_TOKEN(var, help) { "token", 0, 0, G_OPTION_ARG_STRING, &(var), help, "TOKEN" }
#define IOC_CTL_OPTION_JSON(var, help) { "json", 0, 0, G_OPTION_ARG_NONE, &(var), help, NULL }

/* Parses argv (argv[0] is the program, then the command's own arguments)
 * with entries; "iocctl COMMAND: why" on stderr and FALSE when it cannot.
 * args names the positional arguments in --help.  summary and description
 * (either may be NULL) go above and below the options in --help. */
gboolean ioc_ctl_parse_options_full (const gchar *command, const gchar *args, const gchar *summary,
                                     const gchar *description, GOptionEntry *entries, int *argc, char ***argv);
gboolean ioc_ctl_parse_options (const gchar *command, const gchar *args, GOptionEntry *entries, int *argc,
                                char ***argv);

/* Prints the builder's document and a newline on stdout: indented when
 * pretty, else on one line. */
void ioc_ctl_print_json (JsonBuilder *b, gboolean pretty);

/* Adds "name": value when value is not NULL. */
void ioc_ctl_add_member (JsonBuilder *b, const gchar *name, const gchar *value);

/* The hub's base URL (url, or the default) without a trailing slash.
 * (transfer full) */
gchar *ioc_ctl_hub_url (const gchar *url);

/* *token, else IOCCTL_TOKEN's value, else NULL. */
void ioc_ctl_env_token (gchar **token);

/* As ioc_ctl_env_token; FALSE, with what to give printed, when there is no
 * token at all: the commands that change state need an operator's. */
gboolean ioc_ctl_operator_token (const gchar *command, gchar **token);

G_END_DECLS
