#!/bin/sh
# make-registry.sh — builds the unit registry (SPEC §2) of one province from
# the national lists in ../shared/data/units beside the repository (see
# README.md here).
#
#   ops/units/make-registry.sh [DATA_DIR] [PROVINCE] > ops/units/nghe-an.csv
#
# Writes, sorted by code then valid_from:
#   tinh-<P>           the provincial one-stop centre, open;
#   xa-<new code>      every commune in force since 2025-07-01 (kind xa,
#                      phuong or dac-khu), parent tinh-<P>;
#   xa-<old code>      every pre-merge commune, valid until 2025-06-30, with
#                      successor xa-<new code> (a reused code gets two rows:
#                      the old unit ending 2025-06-30 and the new one from
#                      2025-07-01);
#   ca-<new code>      the police post of each current commune, parent xa-<code>.
# POSIX sh + awk (mawk is enough); no Python.
set -eu

# Default: ../shared/data/units next to the repository, wherever it is run from.
DATA=${1:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data/units}
PROVINCE=${2:-40}
COMMUNES="$DATA/vietnam-communes-2025-07.csv"
MERGES="$DATA/commune-merges-2025-07.csv"
MERGE_DAY_BEFORE=2025-06-30
MERGE_DAY=2025-07-01

for f in "$COMMUNES" "$MERGES"; do
  [ -r "$f" ] || { echo "make-registry.sh: cannot read $f" >&2; exit 1; }
done

{
  echo "code,name,kind,parent,valid_from,valid_to,successor"
  LC_ALL=C awk -v P="$PROVINCE" -v END_OLD="$MERGE_DAY_BEFORE" -v START_NEW="$MERGE_DAY" '
    # RFC 4180 split of one line (no embedded newlines in these lists).
    function csv_split(line, out,    n, i, c, field, inq) {
      n = 0; field = ""; inq = 0
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (inq) {
          if (c == "\"") {
            if (substr(line, i + 1, 1) == "\"") { field = field "\""; i++ }
            else inq = 0
          } else field = field c
        } else if (c == "\"") inq = 1
        else if (c == ",") { out[++n] = field; field = "" }
        else field = field c
      }
      out[++n] = field
      return n
    }
    function csv_quote(s) {
      if (s ~ /[",\r\n]/) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
      return s
    }
    # Kind from the type column or from the name prefix of old communes.
    function kind_of(type_or_name) {
      if (type_or_name ~ /^(phường|Phường)/) return "phuong"
      if (type_or_name ~ /^(xã|Xã)/) return "xa"
      if (type_or_name ~ /^Thị trấn/) return "thi-tran"
      if (type_or_name ~ /^(đặc khu|Đặc khu)/) return "dac-khu"
      return ""
    }
    function die(msg) { printf "make-registry.sh: %s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; failed = 1; exit 1 }
    { sub(/\r$/, "") }
    FNR == 1 { file++; next }
    file == 1 {
      csv_split($0, f)
      if (f[1] != P) next
      k = kind_of(f[5]); if (k == "") die("unknown commune_type " f[5])
      if (f[3] !~ /^[0-9][0-9][0-9][0-9][0-9]$/) die("bad commune_code " f[3])
      print "xa-" f[3], START_NEW, "xa-" f[3] "," csv_quote(f[4]) "," k ",tinh-" P "," START_NEW ",,"
      name = f[4]; sub(/^Phường /, "phường ", name); sub(/^Xã /, "xã ", name); sub(/^Đặc khu /, "đặc khu ", name)
      print "ca-" f[3], START_NEW, "ca-" f[3] "," csv_quote("Công an " name) ",ca,xa-" f[3] "," START_NEW ",,"
      province_name = f[2]; n_new++
      next
    }
    file == 2 {
      csv_split($0, f)
      if (f[1] != P) next
      k = kind_of(f[5]); if (k == "") die("unknown commune type in name " f[5])
      if (f[4] !~ /^[0-9][0-9][0-9][0-9][0-9]$/) die("bad old_commune_code " f[4])
      if (seen_old[f[4]]++) die("old commune " f[4] " listed twice (partly merged?)")
      print "xa-" f[4], "0000-00-00", "xa-" f[4] "," csv_quote(f[5]) "," k ",tinh-" P ",," END_OLD ",xa-" f[2]
      n_old++
    }
    END {
      if (failed) exit 1
      if (n_new == 0) { print "make-registry.sh: no communes for province " P > "/dev/stderr"; exit 1 }
      pn = province_name; sub(/^Tỉnh /, "tỉnh ", pn); sub(/^Thành phố /, "thành phố ", pn)
      print "tinh-" P, "0000-00-00", "tinh-" P "," csv_quote("Trung tâm Phục vụ hành chính công " pn) ",tinh,,,,"
      printf "make-registry.sh: province %s: %d communes, %d pre-merge communes\n", P, n_new, n_old > "/dev/stderr"
    }
  ' OFS='\t' "$COMMUNES" "$MERGES" | LC_ALL=C sort -t '	' -k1,1 -k2,2 | cut -f3-
}
