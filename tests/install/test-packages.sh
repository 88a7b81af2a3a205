#!/usr/bin/env bash
# test-packages.sh — the Debian packages as an ops person gets them:
#   1. a clean checkout of what is committed (plus changes to tracked files),
#   2. dpkg-buildpackage -us -uc -b in it (dh + meson; no network),
#   3. lintian on the result: no error and no warning that is not overridden
#      with its reason (debian/README.source),
#   4. a fresh Debian root (mmdebstrap, from the machine's apt sources) into
#      which apt installs both packages, resolving their Depends from Debian,
#   5. in that root, in a private network namespace (so the installed default
#      ports are free): iochub --check and iocctl validate on the installed
#      /etc/iochub/hub.conf, as root and as the iochub user; then the first
#      section of docs/OPERATIONS.md, its commands taken verbatim from the
#      file: the hub's broker account, the broker's security files (the
#      root's own mosquitto runs on them: anonymous clients are refused),
#      the hub as the iochub user serving the wall, the first site's
#      connector as the ioc-connector user with its own account, iocctl
#      connectors listing it; stops leave a final snapshot in /var/lib/iochub,
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
for tool in dpkg-buildpackage dh lintian mmdebstrap mosquitto_pub curl unshare; do
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
# The broker as the runbook installs it (InfluxDB is left out: the hub runs
# without it).  policy-rc.d keeps mosquitto's postinst from starting it here,
# outside the private network namespace.
# shellcheck disable=SC2016  # $1 is mmdebstrap's, in its hooks
if ! mmdebstrap --variant=apt --quiet \
    --customize-hook='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 0755 "$1/usr/sbin/policy-rc.d"' \
    --customize-hook="copy-in $work/debs/$(basename "${debs[0]}") $work/debs/$(basename "${debs[1]}") /tmp" \
    --customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mosquitto curl /tmp/*.deb"' \
    --customize-hook='rm -f "$1"/tmp/*.deb' \
    "$suite" "$r" "$sources" >"$work/mmdebstrap.log" 2>&1; then
  tail -40 "$work/mmdebstrap.log"; fail "mmdebstrap / apt install"
fi
grep -E 'Setting up (iochub|ioc-connector|mosquitto) ' "$work/mmdebstrap.log" || true

phase "installed: checks, then docs/OPERATIONS.md's first section"
if [ -n "${BUILT:-}" ]; then  # the runbook as it is now, with the earlier packages
  cp "$src_root/docs/OPERATIONS.md" "$work/OPERATIONS.md"
else
  cp "$work/src/iochub/docs/OPERATIONS.md" "$work/OPERATIONS.md"
fi
# In a private mount, network and PID namespace: the root's /dev and /proc,
# a loopback of its own where the installed defaults (1883, 8080) are free,
# and whatever is still running when it ends is killed with it.  No systemd
# runs there: `systemctl enable --now X` is played by starting X's
# ExecStart as its unit's user, `systemctl reload` by SIGHUP.
cat >"$work/run-installed.sh" <<'SH'
set -euo pipefail
r="$1"; work="$2"
fail() { echo "packages: FAILED: $*"; exit 1; }
mount --rbind /dev "$r/dev"
mount -t proc proc "$r/proc"
ip link set lo up
in_root() { chroot "$r" "$@"; }
# A command of the runbook, exactly as written there, run in the root.
# The runbook's commands run in one shell there: what an `export` line
# sets (runbook_env) goes before each later command.
runbook_env=""
runbook() {
  grep -qxF -- "$1" "$work/OPERATIONS.md" || fail "not in docs/OPERATIONS.md as a line: $1"
  echo "# $1"
  chroot "$r" sh -c "$runbook_env$1"
}
wait_for_ok() {  # command…: true once it succeeds, within 30 s
  for _ in $(seq 1 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
wait_for() {  # what, command…: up to 20 s
  local what="$1"; shift
  for _ in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "$what"
}

echo "-- what the packages installed"
in_root stat -c '%U:%G %a %n' /etc/iochub/hub.conf /etc/iochub/alerts.conf /var/lib/iochub /var/lib/ioc-connector
[ "$(in_root stat -c '%U:%G %a' /etc/iochub/hub.conf)" = "root:iochub 640" ] || fail "hub.conf owner/mode"
[ "$(in_root stat -c '%U:%G %a' /var/lib/iochub)" = "iochub:iochub 750" ] || fail "/var/lib/iochub owner/mode"
[ "$(in_root stat -c '%U:%G %a' /var/lib/ioc-connector)" = "ioc-connector:ioc-connector 750" ] \
  || fail "/var/lib/ioc-connector owner/mode"
[[ " $(in_root id -nG iochub) " == *" ioc-connector "* ]] || fail "iochub is not in group ioc-connector"
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
[ -f "$r/usr/share/doc/iochub/OPERATIONS.md" ] || fail "OPERATIONS.md (the unit's Documentation=) not installed"
[ -f "$r/usr/share/iochub/www/vendor/uPlot.LICENSE.txt" ] || fail "uPlot's licence not installed"
in_root iochub --check --config /etc/iochub/hub.conf
in_root iocctl validate --config /etc/iochub/hub.conf
chroot --userspec=iochub:iochub "$r" iochub --check --config /etc/iochub/hub.conf >/dev/null \
  || fail "the iochub user cannot check its own config"

echo "-- 3. configure the province"
runbook 'sed -i "s|^#username = iochub|username = iochub|; s|^#password = secret|password = $(tr -dc A-Za-z0-9 </dev/urandom | head -c 24)|" /etc/iochub/hub.conf'
grep -qE '^password = [A-Za-z0-9]{24}$' "$r/etc/iochub/hub.conf" || fail "the hub's password was not set"
runbook 'iochub --check --config /etc/iochub/hub.conf'

echo "-- 4. the broker's security files"
runbook 'cp /usr/share/iochub/mosquitto/mosquitto.conf /etc/mosquitto/mosquitto.conf'
runbook 'ln -s /usr/share/iochub/mosquitto/iochub.conf /etc/mosquitto/conf.d/iochub.conf'
runbook 'mkdir -p /etc/mosquitto/iochub'
runbook 'iocctl broker-config --connectors /etc/iochub/connectors --config /etc/iochub/hub.conf --out /etc/mosquitto/iochub --group mosquitto'
[ "$(in_root stat -c %U:%G:%a /etc/mosquitto/iochub/passwd)" = root:mosquitto:640 ] \
  || fail "broker-config --group mosquitto: passwd is $(in_root stat -c %U:%G:%a /etc/mosquitto/iochub/passwd)"
runbook 'ln -s /etc/mosquitto/iochub/iochub-security.conf /etc/mosquitto/conf.d/'
# systemctl restart mosquitto
install -d -o "$(in_root id -u mosquitto)" "$r/run/mosquitto"
chroot "$r" mosquitto -c /etc/mosquitto/mosquitto.conf & mosq=$!
wait_for "mosquitto did not listen" bash -c 'exec 3<>/dev/tcp/127.0.0.1/1883'

echo "-- 5. start the hub"
runbook 'iocctl validate --config /etc/iochub/hub.conf'
# systemctl enable --now iochub
# (systemd gives a service with User= that user's HOME)
HOME=/var/lib/iochub chroot --userspec=iochub:iochub "$r" iochub --config /etc/iochub/hub.conf >"$work/hub.log" 2>&1 &
hub=$!
wait_for "the hub did not answer /healthz with the broker connected" curl -fs http://127.0.0.1:8080/healthz
runbook 'curl -s http://127.0.0.1:8080/healthz'
echo
# (into a file: grep -q ending early would fail the pipeline under pipefail)
curl -fs -o "$work/wall.html" http://127.0.0.1:8080/ || fail "the wall page is not served"
grep -qi '<html' "$work/wall.html" || fail "/ is not the wall page"
curl -fs -o /dev/null http://127.0.0.1:8080/vendor/uPlot.iife.min.js || fail "the vendored uPlot is not served"
curl -fs -o /dev/null http://127.0.0.1:8080/vendor/fonts/be-vietnam-pro-vietnamese-400-normal.woff2 \
  || fail "the vendored font is not served"
# Anonymous clients get nothing: the broker took the security files.
if mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t ioc/v1/40/xa-16681/desk/x/event -m '{}' 2>/dev/null; then
  fail "the broker let an anonymous client publish"
fi

echo "-- 6. the first commune site"
runbook 'install -m 0640 -g ioc-connector /usr/share/doc/ioc-connector/examples/desk-example.conf /etc/iochub/connectors/desk-xa-16681.conf'
runbook 'sed -i "s|^url = http://.*|url = http://queue-xa-16681.example:8081/api/queue/events|; s|^password = change-me|password = $(tr -dc A-Za-z0-9 </dev/urandom | head -c 24)|" /etc/iochub/connectors/desk-xa-16681.conf'
grep -qE '^password = [A-Za-z0-9]{24}$' "$r/etc/iochub/connectors/desk-xa-16681.conf" || fail "the connector's password was not set"
runbook 'ioc-connector --check --config /etc/iochub/connectors/desk-xa-16681.conf'
runbook 'iocctl validate --config /etc/iochub/hub.conf'
runbook 'iocctl broker-config --connectors /etc/iochub/connectors --config /etc/iochub/hub.conf --out /etc/mosquitto/iochub'
# regenerated without --group: the broker (user mosquitto) can still read it after the reload
[ "$(in_root stat -c %U:%G:%a /etc/mosquitto/iochub/passwd)" = root:mosquitto:640 ] \
  || fail "regenerating lost passwd's group or mode: $(in_root stat -c %U:%G:%a /etc/mosquitto/iochub/passwd)"
# systemctl reload mosquitto
kill -HUP "$mosq"
# systemctl enable --now ioc-connector@desk-xa-16681: the unit's ExecStart, as its user
exec_start="$(sed -n 's/^ExecStart=//p' "$r/lib/systemd/system/ioc-connector@.service" | sed 's/%i/desk-xa-16681/g')"
# shellcheck disable=SC2086  # the unit's command line, split as systemd does
HOME=/var/lib/ioc-connector chroot --userspec=ioc-connector:ioc-connector "$r" $exec_start >"$work/connector.log" 2>&1 &
conn=$!
# systemctl reload iochub
kill -HUP "$hub"

echo "-- 7. verify"
# iocctl connectors exits 0 once no declared connector is down or missing
if ! wait_for_ok chroot "$r" iocctl connectors --connectors /etc/iochub/connectors; then
  cat "$work/connector.log"; tail -20 "$work/hub.log"
  chroot "$r" iocctl connectors --connectors /etc/iochub/connectors || true
  fail "iocctl connectors: the site's connector is not reporting"
fi
runbook 'iocctl connectors --connectors /etc/iochub/connectors' 
grep -q 'connected' "$work/connector.log" || { cat "$work/connector.log"; fail "the connector did not connect with its account"; }
# The screens: every address and a display token; from here on reads need a token.
runbook 'sed -i "s|^listen = 127.0.0.1:8080|listen = 0.0.0.0:8080\ndisplay_tokens = $(tr -dc A-Za-z0-9 </dev/urandom | head -c 32)|" /etc/iochub/hub.conf'
grep -q '^listen = 0.0.0.0:8080$' "$r/etc/iochub/hub.conf" || fail "listen was not changed"
# systemctl restart iochub
kill -TERM "$hub"; wait "$hub" || { cat "$work/hub.log"; fail "the hub did not stop cleanly"; }
HOME=/var/lib/iochub chroot --userspec=iochub:iochub "$r" iochub --config /etc/iochub/hub.conf >>"$work/hub.log" 2>&1 &
hub=$!
wait_for "the restarted hub did not answer /healthz" curl -fs http://127.0.0.1:8080/healthz
display_token="$(runbook 'sed -n "s/^display_tokens = //p" /etc/iochub/hub.conf' | grep -v '^#')"
[ "${#display_token}" = 32 ] || fail "no display token printed: '$display_token'"
curl -fs "http://127.0.0.1:8080/api/v1/summary?token=$display_token" >/dev/null || fail "the wall's token does not read"
chroot "$r" iocctl alerts >/dev/null 2>&1 && fail "iocctl alerts without a token read a hub with display_tokens"

echo "-- 8. an operator token"
runbook 'sed -i "/^\[http\]$/a operator_tokens = $(tr -dc A-Za-z0-9 </dev/urandom | head -c 32)" /etc/iochub/hub.conf'
grep -qE '^operator_tokens = [A-Za-z0-9]{32}$' "$r/etc/iochub/hub.conf" || fail "the operator token was not added"
# systemctl reload iochub; journalctl -u iochub -n 20 | grep 'operator token'
kill -HUP "$hub"
wait_for "the hub did not reload" bash -c "[ \$(grep -c 'reload: .* 1 display and 1 operator token' '$work/hub.log') -gt 0 ]"
token_line='export IOCCTL_TOKEN="$(sed -n "s/^operator_tokens = //p" /etc/iochub/hub.conf)"'
runbook "$token_line"
runbook_env="$token_line; "
runbook 'iocctl alerts'

echo "-- 9. change the site's config while it runs"
runbook 'sed -i "s|^poll_interval = 2s|poll_interval = 5s|" /etc/iochub/connectors/desk-xa-16681.conf'
grep -q '^poll_interval = 5s' "$r/etc/iochub/connectors/desk-xa-16681.conf" || fail "poll_interval was not changed"
runbook 'iocctl push-config desk-xa-16681 --connectors /etc/iochub/connectors --username iochub --password "$(sed -n "s/^password = //p" /etc/iochub/hub.conf)"' \
  > "$work/push.out" || { cat "$work/push.out" "$work/connector.log"; fail "push-config"; }
cat "$work/push.out"
grep -q '^desk-xa-16681: applied' "$work/push.out" || fail "the connector did not answer 'applied'"
[ -f "$r/var/lib/ioc-connector/desk-xa-16681/pushed-config.json" ] || fail "the connector did not keep the pushed config"

echo "-- 10. silence, acknowledge"
runbook 'iocctl silence --rule connector-down --scope desk/q-xa-16681 --for 2h --note "bảo trì hệ thống xếp hàng"'
runbook 'iocctl silences' > "$work/silences.out"
cat "$work/silences.out"
grep -q '^s1 .*connector-down.*desk/q-xa-16681' "$work/silences.out" || fail "iocctl silences does not list s1"
runbook 'iocctl alerts'
# Nothing fires on a fresh install: ack answers exit 1, "no pending or firing alert".
set +e
runbook 'iocctl ack connector-down/desk/q-xa-16681 --note "đã gọi xã"' \
  > "$work/ack.out" 2>&1
ack_rc=$?
set -e
cat "$work/ack.out"
[ "$ack_rc" = 1 ] || fail "iocctl ack of an alert that does not fire: exit $ack_rc, expected 1"

echo "-- 11. restart the hub: the silence is still there"
# systemctl restart iochub
kill -TERM "$hub"; wait "$hub" || { cat "$work/hub.log"; fail "the hub did not stop cleanly"; }
HOME=/var/lib/iochub chroot --userspec=iochub:iochub "$r" iochub --config /etc/iochub/hub.conf >>"$work/hub.log" 2>&1 &
hub=$!
wait_for "the restarted hub did not answer /healthz" curl -fs http://127.0.0.1:8080/healthz
runbook 'iocctl alerts'
runbook 'iocctl silences' > "$work/silences.out"
grep -q '^s1 .*connector-down' "$work/silences.out" || { cat "$work/silences.out"; fail "the silence did not survive the restart"; }
runbook 'iocctl silences --delete s1'
runbook 'iocctl silences' > "$work/silences.out"
grep -q '^s1 ' "$work/silences.out" && fail "s1 is still listed after --delete"

echo "-- stop: the connector, then the hub (final snapshot), then the broker"
kill -TERM "$conn"; wait "$conn" || { cat "$work/connector.log"; fail "the connector did not stop cleanly"; }
t_stop=$(date +%s)
kill -TERM "$hub"
wait "$hub" || { cat "$work/hub.log"; fail "the hub did not stop cleanly"; }
snap="$r/var/lib/iochub/snapshot"
[ -f "$snap" ] || fail "no final snapshot in /var/lib/iochub"
[ "$(stat -c %Y "$snap")" -ge "$t_stop" ] || fail "the snapshot is older than the stop"
[ "$(in_root stat -c %U /var/lib/iochub/snapshot)" = iochub ] || fail "the snapshot is not the iochub user's"
ls "$r"/var/lib/ioc-connector/desk-xa-16681/ >/dev/null || fail "the connector kept no state in /var/lib/ioc-connector"
kill -TERM "$mosq"; wait "$mosq" || true

echo "-- purge"
in_root dpkg --purge iochub ioc-connector 2>&1 | tee "$work/purge.log"
left=""
for p in /var/lib/iochub /var/lib/ioc-connector /usr/share/iochub /usr/share/doc/iochub \
         /usr/bin/iochub /usr/bin/iocctl /usr/bin/ioc-connector /lib/systemd/system/iochub.service \
         /lib/systemd/system/ioc-connector@.service /etc/iochub/hub.conf /etc/iochub/alerts.conf \
         /etc/iochub/units /etc/iochub/calendar; do
  [ -e "$r$p" ] && left="$left $p"
done
[ -z "$left" ] || fail "left after purge:$left"
# What the administrator added stays, and dpkg says so; nothing else does.
[ "$(cd "$r/etc/iochub" && find . -type f)" = "./connectors/desk-xa-16681.conf" ] \
  || fail "in /etc/iochub after purge: $(cd "$r/etc/iochub" && find . -type f | tr '\n' ' ')"
in_root dpkg-statoverride --list | grep -E 'iochub|ioc-connector' && fail "statoverrides left after purge"
for pkg in iochub ioc-connector; do
  st="$(in_root dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [ -z "$st" ] || [ "$st" = not-installed ] || fail "dpkg says $pkg is $st after the purge"
done
echo "purge: nothing of the packages is left but the connector config the administrator wrote (and the system users)"
SH
if ! unshare --mount --net --pid --fork bash "$work/run-installed.sh" "$r" "$work"; then
  [ -f "$work/hub.log" ] && tail -30 "$work/hub.log"
  fail "installed packages"
fi

phase "done"
echo "packages: passed in $((SECONDS - all_start)) s"
