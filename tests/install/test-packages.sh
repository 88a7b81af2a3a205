#!/usr/bin/env bash
# test-packages.sh — the Debian packages as an ops person gets them:
#   1. a clean checkout of what is committed (plus changes to tracked files),
#   2. dpkg-buildpackage -us -uc -b in it (dh + meson; no network),
#   3. lintian on the result: no error and no warning that is not overridden
#      with its reason (debian/README.source),
#   4. a fresh Debian root (mmdebstrap, from the machine's apt sources) into
#      which apt installs both packages, resolving their Depends from Debian,
#   5. in that root: iochub --check and iocctl validate on the installed
#      /etc/iochub/hub.conf, as root and as the iochub user; the hub started
#      as the iochub user with the installed files, in a private network
#      namespace (so the installed default ports are free) against a test
#      mosquitto configured with the installed broker settings: it serves the
#      wall from /usr/share/iochub/www, counts a published event, and writes
#      its final snapshot into /var/lib/iochub on SIGTERM,
#   6. dpkg --purge of both: nothing of theirs is left.
# Everything happens under one temporary folder, removed at the end (KEEP=1
# keeps it); nothing on this machine is installed or changed.  Needs root.
# BUILT=DIR takes the packages from an earlier KEEP=1 run's DIR/src instead
# of steps 1-3 (to work on the later steps).
# Run by `ops/test.sh --packages`; takes minutes (the timings are printed).
set -euo pipefail

src_root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/var/tmp}/iochub-packages.XXXXXX")"
chmod 0711 "$work"  # mosquitto, once it dropped to its user, writes its log below
phase_start=$SECONDS
all_start=$SECONDS
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "packages: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
phase() {
  [ -n "${phase_name:-}" ] && echo "packages: $phase_name: $((SECONDS - phase_start)) s"
  phase_name="$1"; phase_start=$SECONDS
  echo "== $1"
}
fail() { echo "packages: FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (dpkg-buildpackage is fine as a user; the fresh root is not)"
for tool in dpkg-buildpackage dh lintian mmdebstrap mosquitto mosquitto_pub curl unshare; do
  command -v "$tool" >/dev/null || fail "$tool missing: run ops/setup.sh --packages"
done

if [ -n "${BUILT:-}" ]; then
  mkdir -p "$work/src"
  cp -r "$BUILT/src/." "$work/src/"
  version="$(dpkg-parsechangelog -l "$work/src/iochub/debian/changelog" -S Version)"
  arch="$(dpkg --print-architecture)"
  debs=("$work/src/iochub_${version}_$arch.deb" "$work/src/ioc-connector_${version}_$arch.deb")
else
phase "clean checkout"
rev="$(git -C "$src_root" stash create)"
rev="${rev:-HEAD}"
mkdir -p "$work/src"
git -C "$src_root" archive --format=tar --prefix=iochub/ "$rev" | tar -x -C "$work/src"
version="$(dpkg-parsechangelog -l "$work/src/iochub/debian/changelog" -S Version)"
meson_version="$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$work/src/iochub/meson.build")"
[ "$version" = "$meson_version" ] || fail "debian/changelog says $version, meson.build $meson_version"

phase "dpkg-buildpackage -us -uc -b"
if ! (cd "$work/src/iochub" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
  tail -60 "$work/build.log"; fail "dpkg-buildpackage (log above)"
fi
arch="$(dpkg --print-architecture)"
debs=("$work/src/iochub_${version}_$arch.deb" "$work/src/ioc-connector_${version}_$arch.deb")
changes="$work/src/iochub_${version}_$arch.changes"
for f in "${debs[@]}" "$changes"; do [ -f "$f" ] || fail "$f not built"; done
grep -E '^(Ok|Fail|Timeout):' "$work/build.log" | tr '\n' ' '; echo
for deb in "${debs[@]}"; do dpkg-deb -I "$deb" | sed -n 's/^ \(Package\|Version\|Depends\|Installed-Size\):/  &/p'; done

phase "lintian"
lintian_rc=0
lintian --fail-on error,warning --show-overrides "$changes" >"$work/lintian.log" 2>&1 || lintian_rc=$?
cat "$work/lintian.log"
echo "lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors, $(grep -c '^W:' "$work/lintian.log" || true) warnings," \
  "$(grep -c '^I:' "$work/lintian.log" || true) info, $(grep -c '^O:' "$work/lintian.log" || true) overridden (with reasons)"
[ "$lintian_rc" = 0 ] || fail "lintian"
fi

phase "fresh Debian root + apt install"
sources=""
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
  [ -f "$f" ] && { sources="$f"; break; }
done
[ -n "$sources" ] || fail "no apt sources on this machine"
suite="$(. /etc/os-release && echo "$VERSION_CODENAME")"
r="$work/root"
mkdir -p "$work/debs"
cp "${debs[@]}" "$work/debs/"
# shellcheck disable=SC2016  # $1 is mmdebstrap's, in its hook
if ! mmdebstrap --variant=apt --quiet \
    --customize-hook="copy-in $work/debs/$(basename "${debs[0]}") $work/debs/$(basename "${debs[1]}") /tmp" \
    --customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/*.deb"' \
    --customize-hook='rm -f "$1"/tmp/*.deb' \
    "$suite" "$r" "$sources" >"$work/mmdebstrap.log" 2>&1; then
  tail -40 "$work/mmdebstrap.log"; fail "mmdebstrap / apt install"
fi
grep -E 'Setting up (iochub|ioc-connector)|Unpacking (iochub|ioc-connector)' "$work/mmdebstrap.log" || true

phase "installed: checks, the hub against a broker"
cat >"$work/mosquitto.conf" <<CONF
listener 1883 127.0.0.1
allow_anonymous true
persistence_location $work/mosquitto/
log_dest file $work/mosquitto/mosquitto.log
$(cat "$r/usr/share/iochub/mosquitto/iochub.conf")
CONF
mkdir -p "$work/mosquitto"
chmod 0777 "$work/mosquitto"

# In a private mount, network and PID namespace: the root's /dev and /proc,
# a loopback of its own where the installed defaults (1883, 8080) are free,
# and whatever is still running when it ends is killed with it.
cat >"$work/run-installed.sh" <<'SH'
set -euo pipefail
r="$1"; work="$2"
fail() { echo "packages: FAILED: $*"; exit 1; }
mount --rbind /dev "$r/dev"
mount -t proc proc "$r/proc"
ip link set lo up
in_root() { chroot "$r" "$@"; }
as_hub() { chroot --userspec=iochub:iochub "$r" "$@"; }

echo "-- owners and modes"
in_root stat -c '%U:%G %a %n' /etc/iochub/hub.conf /etc/iochub/alerts.conf /var/lib/iochub /var/lib/ioc-connector
[ "$(in_root stat -c '%U:%G %a' /etc/iochub/hub.conf)" = "root:iochub 640" ] || fail "hub.conf owner/mode"
[ "$(in_root stat -c '%U:%G %a' /var/lib/iochub)" = "iochub:iochub 750" ] || fail "/var/lib/iochub owner/mode"
in_root id iochub
in_root id ioc-connector
in_root id -nG iochub | grep -qw ioc-connector || fail "iochub is not in group ioc-connector"
grep -q '^dashboard_dir = /usr/share/iochub/www' "$r/etc/iochub/hub.conf" || fail "dashboard_dir"
grep -q '^connectors = connectors' "$r/etc/iochub/hub.conf" || fail "[hub] connectors"
for unit in iochub.service ioc-connector@.service; do
  for bin in $(sed -n 's/^Exec[A-Za-z]*=\([^ ]*\).*/\1/p' "$r/lib/systemd/system/$unit"); do
    [ -x "$r$bin" ] || fail "$unit runs $bin, which is not installed"
  done
done
for page in man8/iochub.8 man8/iocctl.8 man8/ioc-connector.8 man5/iochub.conf.5 man5/iochub-alerts.conf.5 \
            man5/ioc-connector.conf.5; do
  [ -f "$r/usr/share/man/$page.gz" ] || fail "man page $page.gz not installed"
done

echo "-- iochub --check, iocctl validate (root, then the iochub user)"
in_root iochub --check --config /etc/iochub/hub.conf
in_root iocctl validate --config /etc/iochub/hub.conf
as_hub iochub --check --config /etc/iochub/hub.conf >/dev/null
in_root ioc-connector --check --config /usr/share/doc/ioc-connector/examples/desk-example.conf

echo "-- the hub, as iochub, with the installed files"
mosquitto -c "$work/mosquitto.conf" & mosq=$!
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && break; sleep 0.1; done
chroot --userspec=iochub:iochub "$r" iochub --config /etc/iochub/hub.conf >"$work/hub.log" 2>&1 & hub=$!
up=0
for _ in $(seq 1 150); do
  curl -fs http://127.0.0.1:8080/healthz >/dev/null 2>&1 && { up=1; break; }
  kill -0 "$hub" 2>/dev/null || break
  sleep 0.2
done
[ "$up" = 1 ] || { cat "$work/hub.log"; fail "the hub did not answer /healthz"; }
curl -fs http://127.0.0.1:8080/ | grep -qi '<html' || fail "the wall page is not served"
curl -fs -o /dev/null http://127.0.0.1:8080/vendor/uPlot.iife.min.js || fail "the vendored uPlot is not served"
curl -fs -o /dev/null http://127.0.0.1:8080/vendor/fonts/be-vietnam-pro-vietnamese-400-normal.woff2 \
  || fail "the vendored font is not served"
connected=0
for _ in $(seq 1 100); do
  curl -fs http://127.0.0.1:8080/metrics | grep -q '^iochub_mqtt_connected 1' && { connected=1; break; }
  sleep 0.1
done
[ "$connected" = 1 ] || { cat "$work/hub.log"; fail "the hub did not connect to the broker"; }
now_ms=$(( $(date +%s) * 1000 ))
mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t ioc/v1/40/xa-16681/desk/q-pkg-test/event \
  -m "{\"v\":1,\"seq\":1,\"ts\":$now_ms,\"type\":\"counter.open\",\"counter\":\"q1\"}"
accepted=0
for _ in $(seq 1 100); do
  n=$(curl -fs http://127.0.0.1:8080/metrics | awk '/^iochub_messages_accepted_total/ {print $2}')
  [ "${n:-0}" -ge 1 ] 2>/dev/null && { accepted=1; break; }
  sleep 0.1
done
[ "$accepted" = 1 ] || { cat "$work/hub.log"; fail "the hub did not count the published event"; }
echo "hub: healthz, wall, vendored assets, broker connected, 1 event accepted"
t_stop=$(date +%s)
kill -TERM "$hub"
wait "$hub" || { cat "$work/hub.log"; fail "the hub did not stop cleanly"; }
snap="$r/var/lib/iochub/snapshot"
[ -f "$snap" ] || fail "no final snapshot in /var/lib/iochub"
[ "$(stat -c %Y "$snap")" -ge "$t_stop" ] || fail "the snapshot is older than the stop"
[ "$(in_root stat -c %U /var/lib/iochub/snapshot)" = iochub ] || fail "the snapshot is not the iochub user's"
echo "hub: stopped on SIGTERM with a final snapshot in /var/lib/iochub"
kill -TERM "$mosq"; wait "$mosq" || true

echo "-- purge"
in_root dpkg --purge iochub ioc-connector 2>&1 | tee "$work/purge.log"
! grep -qi 'warning' "$work/purge.log" || fail "dpkg warned during the purge"
left=""
for p in /etc/iochub /var/lib/iochub /var/lib/ioc-connector /usr/share/iochub /usr/share/doc/iochub \
         /usr/bin/iochub /usr/bin/iocctl /usr/bin/ioc-connector /lib/systemd/system/iochub.service \
         /lib/systemd/system/ioc-connector@.service; do
  [ -e "$r$p" ] && left="$left $p"
done
[ -z "$left" ] || fail "left after purge:$left"
in_root dpkg-statoverride --list | grep -E 'iochub|ioc-connector' && fail "statoverrides left after purge"
for pkg in iochub ioc-connector; do
  st="$(in_root dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [ -z "$st" ] || [ "$st" = not-installed ] || fail "dpkg says $pkg is $st after the purge"
done
echo "purge: nothing of iochub or ioc-connector is left (the system users stay, as in Debian)"
SH
if ! unshare --mount --net --pid --fork bash "$work/run-installed.sh" "$r" "$work"; then
  [ -f "$work/hub.log" ] && tail -30 "$work/hub.log"
  fail "installed packages"
fi

phase "done"
echo "packages: passed in $((SECONDS - all_start)) s"
