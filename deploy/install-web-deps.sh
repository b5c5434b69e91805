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

# Vite 8 needs node >= 20.19 (Debian 12 ships 18: then take node from NodeSource or nvm).
major=$(node -p 'process.versions.node.split(".")[0]')
minor=$(node -p 'process.versions.node.split(".")[1]')
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
  echo "node $(node --version) is too old for Vite 8: need >= 20.19" >&2
  exit 1
fi

cd "$web_dir"
npm ci --no-audit --no-fund
echo "web client dependencies ready in $web_dir (npm run build writes web-client/dist)"
