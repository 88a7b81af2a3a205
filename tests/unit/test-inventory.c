/* test-inventory.c — the declared connectors folder (model/inventory.h):
 * what is read from each file, and every refusal as FILE:LINE: [group] key:
 * expected …, got '…', one table row per case. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "model/inventory.h"
#include "protocol/ioc-error.h"

static gchar *
write_file (const gchar *dir, const gchar *name, const gchar *text)
{
  gchar *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
remove_dir (const gchar *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

static void
test_good_folder (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("inventory-XXXXXX", NULL);
  g_free (write_file (dir, "b-desk.conf", "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = q-1\n"
                                          "[mqtt]\nusername = desk-q-1\npassword = s3cret\n"));
  g_free (write_file (dir, "a-portal.conf", "[connector]\nkind = portal\nprovince = 40\ndevice = dvc\nid = portal-dvc\n"));
  g_free (write_file (dir, "c-file.conf", "[connector]\nkind = jsonl\nprovince = 40\nunit = xa-16681\ndevice = f-1\n"
                                          "[jsonl]\npublish_as = kiosk\n"));
  g_free (write_file (dir, "README", "not a connector"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = ioc_inventory_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  static const struct { const gchar *id, *kind, *unit, *device, *username; } want[] = {
    { "portal-dvc", "portal", NULL, "dvc", NULL },
    { "desk-q-1", "desk", "xa-16681", "q-1", "desk-q-1" },
    { "jsonl-f-1", "kiosk", "xa-16681", "f-1", NULL },
  };
  for (guint i = 0; i < list->len; i++)
    {
      const IocConnectorDecl *c = list->pdata[i];
      g_assert_cmpstr (c->id, ==, want[i].id);
      g_assert_cmpstr (c->kind, ==, want[i].kind);
      g_assert_cmpstr (c->unit, ==, want[i].unit);
      g_assert_cmpstr (c->device, ==, want[i].device);
      g_assert_cmpstr (c->province, ==, "40");
      g_assert_cmpstr (c->username, ==, want[i].username);
      g_assert_cmpstr (c->mqtt_url, ==, "tcp://127.0.0.1:1883");
    }
  remove_dir (dir);
}

static void
test_bad_files (void)
{
  static const struct { const gchar *text, *want; } cases[] = {
    { "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = Q 1\n",
      "F:5: [connector] device: expected [a-z0-9_-]{1,64} (SPEC §3), got 'Q 1'" },
    { "[connector]\nkind = lamp\nprovince = 40\nunit = xa-16681\ndevice = q1\n",
      "F:2: [connector] kind: expected one of desk, kiosk, camera, portal, or jsonl with [jsonl] publish_as, got 'lamp'" },
    { "[connector]\nkind = desk\nprovince = 4\nunit = xa-16681\ndevice = q1\n",
      "F:3: [connector] province: expected a 2-digit province code, got '4'" },
    { "[connector]\nkind = desk\nprovince = 40\ndevice = q1\n", "F:1: [connector] unit: " },
    { "[connector]\nkind = jsonl\nprovince = 40\nunit = u\ndevice = q1\n[jsonl]\npublish_as = lamp\n",
      "F:7: [jsonl] publish_as: expected one of desk, kiosk, camera, portal, got 'lamp'" },
    { "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = q1\n[mqtt]\nurl = http://x\n",
      "F:7: [mqtt] url: expected a URL tcp://HOST:PORT" },
    { "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = q1\n[mqtt]\nurl = tcp://127.0.0.1:notaport\n",
      "F:7: [mqtt] url: expected a URL" },
    { "[connector]\nkind = desk\nprovince = 40\nunit = config\ndevice = q1\n",
      "F:4: [connector] unit: expected a registry code, not one of the hub's topics" },
    { "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = q1\n[mqtt]\nusername = a\n",
      "F:6: [mqtt] password: expected a password for username 'a', got none" },
    { "[connector\nkind = desk\n", "F" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IocConnectorDecl) c = ioc_connector_decl_load_data ("F", cases[i].text, strlen (cases[i].text), &error);
      g_test_message ("case %u: %s", i, error ? error->message : "(loaded)");
      g_assert_null (c);
      g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
      g_assert_true (g_str_has_prefix (error->message, cases[i].want));
    }
}

/* A folder with problems: every one is listed (duplicates with the line of
 * the key), and the all-or-nothing reader refuses it whole. */
static void
test_folder_problems (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("inventory-XXXXXX", NULL);
  g_free (write_file (dir, "a.conf", "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = q-1\n"));
  g_free (write_file (dir, "b.conf", "# same device\n[connector]\nkind = desk\nprovince = 40\nunit = xa-16682\n"
                                     "device = q-1\nid = other\n"));
  g_free (write_file (dir, "c.conf", "[connector]\nkind = desk\nprovince = 40\nunit = xa-16681\ndevice = Bad\n"));
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) list = ioc_inventory_load_dir (dir, errors, NULL);
  g_assert_nonnull (list);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpuint (errors->len, ==, 2);
  g_autofree gchar *b = g_build_filename (dir, "b.conf", NULL);
  g_autofree gchar *c = g_build_filename (dir, "c.conf", NULL);
  g_autofree gchar *want_b = g_strdup_printf ("%s:6: [connector] device: expected a device id unique", b);
  g_autofree gchar *want_c = g_strdup_printf ("%s:5: [connector] device: expected", c);
  g_assert_true (g_str_has_prefix (errors->pdata[0], want_b));
  g_assert_true (g_str_has_prefix (errors->pdata[1], want_c));

  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) none = ioc_inventory_load (dir, &error);
  g_assert_null (none);
  g_assert_error (error, IOC_ERROR, IOC_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, want_b));
  g_assert_nonnull (strstr (error->message, want_c));
  remove_dir (dir);

  g_clear_error (&error);
  g_assert_null (ioc_inventory_load (dir, &error));
  g_assert_nonnull (strstr (error->message, "cannot read the connectors folder"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ioc/inventory/good-folder", test_good_folder);
  g_test_add_func ("/ioc/inventory/bad-files", test_bad_files);
  g_test_add_func ("/ioc/inventory/folder-problems", test_folder_problems);
  return g_test_run ();
}
