#!/usr/bin/env bash
# Installs what the web app and its tests need, from the ordinary package registries only:
#   - Debian's chromium (the browser the tests drive; Playwright never downloads one),
#   - node packages from package.json + package-lock.json: cesium 1.140.0 (served from
#     node_modules/cesium/Build/Cesium) and playwright-core (the driver).
# Idempotent and quiet when everything is already there. Run from anywhere:
#   bash tools/web_setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "web_setup: /usr/bin/chromium is missing and this user cannot install it (apt-get install -y chromium)" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "web_setup: installing chromium from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

if ! command -v npm >/dev/null; then
  echo "web_setup: npm is missing (install nodejs >= 20 and npm)" >&2
  exit 1
fi

# npm ci only when node_modules does not match the lockfile
stamp=node_modules/.boostphase-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp" || [ ! -f node_modules/cesium/Build/Cesium/Cesium.js ]; then
  echo "web_setup: npm ci (cesium, playwright-core)" >&2
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
