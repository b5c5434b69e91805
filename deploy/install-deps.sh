#!/bin/sh
# Installs the Debian 12 packages Huizhen needs to build and run, when missing.
# Idempotent; run as root (or it re-runs itself with sudo when available).
set -eu

PKGS="meson ninja-build pkg-config gcc libc6-dev
libglib2.0-dev libjson-glib-dev libnice-dev libsrtp2-dev libwebsockets-dev libssl-dev
libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libsqlite3-dev libpq-dev curl ca-certificates
g++ libdcmtk-dev libsoup-3.0-dev libhiredis-dev libcurl4-openssl-dev
gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo "$0" "$@"; fi
  echo "install-deps: missing packages:$missing (run as root)" >&2
  exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
