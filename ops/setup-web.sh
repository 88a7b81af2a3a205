#!/usr/bin/env bash
# setup-web.sh — everything the wall display needs, served by the hub itself
# (the operations room may have no internet; no CDN at run time).
#
#   1. nodejs, npm and chromium from Debian, if missing (chromium drives the
#      browser tests; the wall itself can be any browser);
#   2. `npm ci` in dashboards/ against the committed package-lock.json
#      (`npm install` only when there is no lock yet);
#   3. copies uPlot and the Be Vietnam Pro font (Vietnamese + Latin subsets)
#      into dashboards/www/vendor/, which [http] dashboard_dir serves.
#
# Called by ops/setup.sh; safe to run again.  SKIP_APT=1 skips step 1.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dash="$root/dashboards"
www="$dash/www"

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ "${#need[@]}" -gt 0 ] && [ "${SKIP_APT:-0}" != 1 ]; then
  echo "setup-web: installing ${need[*]} from Debian"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${need[@]}"
fi

cd "$dash"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi

mkdir -p "$www/vendor/fonts"
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css "$www/vendor/"
for subset in vietnamese latin; do
  for weight in 400 700; do
    cp "node_modules/@fontsource/be-vietnam-pro/files/be-vietnam-pro-$subset-$weight-normal.woff2" "$www/vendor/fonts/"
  done
done
cp node_modules/uplot/LICENSE "$www/vendor/uPlot.LICENSE.txt" 2>/dev/null || true
cp node_modules/@fontsource/be-vietnam-pro/LICENSE "$www/vendor/fonts/LICENSE.txt" 2>/dev/null || true
echo "setup-web: dashboards/www is ready (set [http] dashboard_dir = $www)"
