#!/bin/sh
# run-with-orthanc.sh COMMAND [ARGS...]: starts a throwaway Orthanc (Debian
# orthanc + orthanc-dicomweb) on loopback with its DICOMweb plugin, in a
# temporary directory, exports ORTHANC_URL (its REST root; DICOMweb is
# $ORTHANC_URL/dicom-web), runs the command, and stops Orthanc. The test
# (tests/integration/test-api-documents.c, /api-documents/pacs) loads its
# own study (tests/unit/hz-dicom-fixture) through Orthanc's REST API so the
# data it pulls back is exactly what it knows. Without Orthanc it prints a
# TAP plan that skips everything, with the reason.
set -eu
orthanc=/usr/sbin/Orthanc
plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
if [ ! -x "$orthanc" ] || [ ! -e "$plugin" ]; then
  echo "1..0 # SKIP orthanc and orthanc-dicomweb are not installed (deploy/install-test-deps.sh)"
  exit 0
fi
dir=$(mktemp -d /tmp/hz-orthanc-XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
# a free loopback port for HTTP (DICOM port off)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/orthanc.json" <<JSON
{
  "Name": "huizhen-test",
  "StorageDirectory": "$dir/db",
  "IndexDirectory": "$dir/db",
  "HttpPort": $port,
  "DicomServerEnabled": false,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "Plugins": [ "$plugin" ],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }
}
JSON
"$orthanc" "$dir/orthanc.json" > "$dir/orthanc.log" 2>&1 &
pid=$!
i=0
until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/system')" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "Bail out! Orthanc did not start:" >&2
    cat "$dir/orthanc.log" >&2
    exit 1
  fi
  sleep 0.1
done
export ORTHANC_URL="http://127.0.0.1:$port"
"$@"
