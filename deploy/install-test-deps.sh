#!/bin/sh
# Installs what the whole test suite needs on top of install-deps.sh: the C
# test client library, clang for the fuzzers and sanitizers, Chromium and
# Node.js for the browser tests, and the npm packages of tests/browser.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"

PKGS="libsoup-3.0-dev python3-yaml clang libclang-rt-14-dev chromium nodejs npm iproute2 nftables procps coturn dcmtk orthanc orthanc-dicomweb postgresql gstreamer1.0-tools gstreamer1.0-plugins-base-apps redis-server memcached swift-proxy swift-object swift-container swift-account python3-swift nginx systemd openssl curl"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# A machine may carry its own Node.js; then Debian's is not needed.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=$(echo "$missing" | sed 's/ nodejs//; s/ npm//')
fi
if [ -n "$(echo "$missing" | tr -d ' ')" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing packages:$missing (run as root)" >&2
    exit 1
  fi
  echo "install-test-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # Packages such as nginx, redis-server or postgresql start a service on
  # install where no policy says otherwise; the tests start their own on
  # loopback, so keep the packaged ones from starting.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && guard=1
  fi
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
  [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
fi
"$here/install-browser-test-deps.sh"
