#!/bin/sh
# Installs what the browser tests (tests/browser) need: Debian's Chromium, node
# and npm, a CJK font so screenshots of the Chinese UI are legible, and
# playwright-core from tests/browser/package-lock.json, then the web client's
# own build dependencies (install-web-deps.sh: the tests run the bundled client).
# Never downloads a browser build of its own. Safe to run again: it only
# installs what is missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
browser_dir="$here/../tests/browser"

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
fc-list :lang=zh 2>/dev/null | grep -q . || missing="$missing fonts-wqy-microhei"

if [ -n "$missing" ]; then
  echo "installing:$missing"
  $SUDO apt-get update
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

cd "$browser_dir"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
echo "browser test dependencies ready in $browser_dir"
"$here/install-web-deps.sh"
