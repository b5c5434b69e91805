#!/bin/sh
# Installs what building the web client needs: node and npm (Debian's, when
# missing) and the npm packages pinned in web-client/package-lock.json
# (Vite and its bundler). `meson setup` then finds web-client/node_modules and
# the build runs `npm run build` into <builddir>/web-client/web, which the server
# serves. Nothing is fetched at page-load time: no CDN. Safe to run again.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
web_dir="$here/../web-client"

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

missing=""
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "installing:$missing"
  $SUDO apt-get update
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

# Vite 6 runs on node >= 18 (Debian 12's nodejs is 18.19).
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "node $(node --version) is too old for the web client's bundler: need >= 18" >&2
  exit 1
fi

cd "$web_dir"
# npm 11 writes locks without rollup's optional per-platform packages, which
# `npm ci` then refuses as out of sync (npm/cli#4828); `npm install` honours the
# same locked versions and fills them in.
npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund
echo "web client dependencies ready in $web_dir (npm run build writes web-client/dist)"
