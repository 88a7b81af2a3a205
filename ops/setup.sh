#!/usr/bin/env bash
# Installs what iochub needs on Debian 12 (only what is missing) and builds it.
# Used by both README commands (ops/run.sh and ops/test.sh); safe to re-run.
#   BUILD_DIR=build  ops/setup.sh
#   ops/setup.sh --packages   also Debian's packaging tools (dpkg-buildpackage,
#                             debhelper, lintian, mmdebstrap) for the packages
#                             test (ops/test.sh --packages)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev
  libglib2.0-dev libjson-glib-dev libcurl4-openssl-dev libsoup-3.0-dev zlib1g-dev
  libpaho-mqtt-dev mosquitto mosquitto-clients influxdb victoria-metrics curl ca-certificates
  jq  # bench/national.sh compares JSON totals
)
if [ "${1:-}" = --packages ]; then
  packages+=(dpkg-dev debhelper lintian mmdebstrap)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The wall display's npm packages (chart library, font, the browser-test driver)
# and Debian's chromium for the browser tests.
bash ops/setup-web.sh

build="${BUILD_DIR:-build}"
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" >/dev/null
echo "setup: built in $build/"
