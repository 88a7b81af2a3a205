#!/usr/bin/env bash
# setup-web.sh — everything the wall display needs, served by the hub itself
# (the operations room may have no internet; no CDN at run time).
#
#   1. nodejs, npm and chromium from Debian, if missing (chromium drives the
#      browser tests; the wall itself can be any browser);
#   2. `npm ci` in dashboards/ against the committed package-lock.json
#      (`npm install` only when there is no lock yet);
#   3. copies uPlot and the Be Vietnam Pro font (Vietnamese + Latin subsets)
#      into dashboards/www/vendor/, which [http] dashboard_dir serves, with
#      their licences, and uPlot's unminified build into
#      debian/missing-sources/ (Debian wants the source of a minified file).
#
# The copies are committed (the packages build from the tree with no
# network), so step 3 normally changes nothing; after updating a package in
# package-lock.json, commit what it changed.
#   ops/setup-web.sh --check   compare the committed copies with node_modules
#                              (after npm ci); exit 1 naming any that differ
# Called by ops/setup.sh; safe to run again.  SKIP_APT=1 skips step 1.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dash="$root/dashboards"
www="$dash/www"

# node_modules path → where the wall (or debian/) keeps it
vendored=(
  "uplot/dist/uPlot.iife.min.js          $www/vendor/uPlot.iife.min.js"
  "uplot/dist/uPlot.min.css              $www/vendor/uPlot.min.css"
  "uplot/LICENSE                         $www/vendor/uPlot.LICENSE.txt"
  "uplot/dist/uPlot.iife.js              $root/debian/missing-sources/uPlot.iife.js"
  "@fontsource/be-vietnam-pro/LICENSE    $www/vendor/fonts/LICENSE.txt"
)
for subset in vietnamese latin; do
  for weight in 400 700; do
    f="be-vietnam-pro-$subset-$weight-normal.woff2"
    vendored+=("@fontsource/be-vietnam-pro/files/$f $www/vendor/fonts/$f")
  done
done

if [ "${1:-}" = --check ]; then
  bad=0
  for pair in "${vendored[@]}"; do
    read -r from to <<<"$pair"
    if ! cmp -s "$dash/node_modules/$from" "$to"; then
      echo "setup-web: ${to#"$root"/} differs from node_modules/$from (run ops/setup-web.sh and commit)"
      bad=1
    fi
  done
  [ "$bad" = 0 ] && echo "setup-web: the committed wall assets are what package-lock.json pins"
  exit "$bad"
fi

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

for pair in "${vendored[@]}"; do
  read -r from to <<<"$pair"
  mkdir -p "$(dirname "$to")"
  cmp -s "node_modules/$from" "$to" || cp "node_modules/$from" "$to"
done
echo "setup-web: dashboards/www is ready (set [http] dashboard_dir = $www)"
