#!/usr/bin/env python3
"""Contract test: the real huizhen binary against docs/openapi.yaml.

Starts the server on a free loopback port with a fresh data directory, drives
every route of the spec through its main success path and its main error
paths, and checks each answer: the status must be one the spec lists for that
operation (and the one this test expects), the Content-Type one of the
response's media types, required headers present, and a JSON body valid
against the response schema (a small OpenAPI 3.0 schema validator below).
Every path of the spec is also asked with the methods it does not list: the
server must answer 405, so a route the spec forgot shows up.

Environment: HUIZHEN_BIN (the binary), HUIZHEN_OPENAPI (the spec; default
docs/openapi.yaml next to this file's repository).
"""
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import threading
import zlib
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_PATH = os.environ.get("HUIZHEN_OPENAPI", os.path.join(HERE, "..", "..", "docs", "openapi.yaml"))
DEADLINE = time.monotonic() + 50  # the whole run, server start included

# ---------------------------------------------------------------- validator


class SchemaError(Exception):
    pass


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Validator:
    """The subset of OpenAPI 3.0 schema objects docs/openapi.yaml uses:
    $ref, type, nullable, enum, required, properties, additionalProperties
    (false or a schema), items, minItems/maxItems, minimum/maximum,
    minLength/maxLength, pattern, format (date-time, uuid), oneOf, allOf."""

    KNOWN = {"$ref", "type", "nullable", "enum", "required", "properties", "additionalProperties",
             "items", "minItems", "maxItems", "minimum", "maximum", "minLength", "maxLength", "pattern",
             "format", "oneOf", "allOf", "description", "example", "default", "minProperties"}

    def __init__(self, spec):
        self.spec = spec

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise SchemaError("only local $ref: " + ref)
            target = self.spec
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
        return node

    def check_schema(self, schema, where="#"):
        """Refuses keywords this validator would silently ignore."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return
        unknown = set(schema) - self.KNOWN
        if unknown:
            raise SchemaError("%s: unsupported keywords %s" % (where, sorted(unknown)))
        for name, sub in schema.get("properties", {}).items():
            self.check_schema(sub, where + "/" + name)
        for key in ("items",):
            if key in schema:
                self.check_schema(schema[key], where + "/" + key)
        if isinstance(schema.get("additionalProperties"), dict):
            self.check_schema(schema["additionalProperties"], where + "/*")
        for key in ("oneOf", "allOf"):
            for i, sub in enumerate(schema.get(key, [])):
                self.check_schema(sub, "%s/%s[%d]" % (where, key, i))

    def validate(self, value, schema, where="$"):
        schema = self.resolve(schema)
        if value is None:
            if schema.get("nullable") or "type" not in schema and not schema.get("allOf") \
                    and not schema.get("oneOf"):
                return
            raise SchemaError("%s: null where the spec does not allow it" % where)
        for sub in schema.get("allOf", []):
            self.validate(value, sub, where)
        if "oneOf" in schema:
            passed = 0
            for sub in schema["oneOf"]:
                try:
                    self.validate(value, sub, where)
                    passed += 1
                except SchemaError:
                    pass
            if passed != 1:
                raise SchemaError("%s: matches %d of the oneOf schemas, not exactly one" % (where, passed))
        t = schema.get("type")
        if t is not None:
            ok = {
                "string": isinstance(value, str),
                "integer": isinstance(value, int) and not isinstance(value, bool),
                "number": isinstance(value, (int, float)) and not isinstance(value, bool),
                "boolean": isinstance(value, bool),
                "array": isinstance(value, list),
                "object": isinstance(value, dict),
            }.get(t)
            if ok is None:
                raise SchemaError("%s: unknown type %r in the spec" % (where, t))
            if not ok:
                raise SchemaError("%s: %r is not of type %s" % (where, value, t))
        if "enum" in schema and value not in schema["enum"]:
            raise SchemaError("%s: %r is not one of %s" % (where, value, schema["enum"]))
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                raise SchemaError("%s: %r is shorter than %d" % (where, value, schema["minLength"]))
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                raise SchemaError("%s: longer than %d" % (where, schema["maxLength"]))
            if "pattern" in schema and not re.search(schema["pattern"], value):
                raise SchemaError("%s: %r does not match %s" % (where, value, schema["pattern"]))
            fmt = schema.get("format")
            if fmt == "date-time" and not RFC3339.match(value):
                raise SchemaError("%s: %r is not an RFC 3339 date-time" % (where, value))
            if fmt == "uuid" and not UUID.match(value):
                raise SchemaError("%s: %r is not a UUID" % (where, value))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                raise SchemaError("%s: %r is below %r" % (where, value, schema["minimum"]))
            if "maximum" in schema and value > schema["maximum"]:
                raise SchemaError("%s: %r is above %r" % (where, value, schema["maximum"]))
        if isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                raise SchemaError("%s: fewer than %d items" % (where, schema["minItems"]))
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                raise SchemaError("%s: more than %d items" % (where, schema["maxItems"]))
            if "items" in schema:
                for i, item in enumerate(value):
                    self.validate(item, schema["items"], "%s[%d]" % (where, i))
        if isinstance(value, dict):
            for name in schema.get("required", []):
                if name not in value:
                    raise SchemaError("%s: required member %s is missing" % (where, name))
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties", True)
            for name, member in value.items():
                if name in props:
                    self.validate(member, props[name], where + "." + name)
                elif extra is False:
                    raise SchemaError("%s: member %s is not in the spec" % (where, name))
                elif isinstance(extra, dict):
                    self.validate(member, extra, where + "." + name)


# ------------------------------------------------------------------- server


class PacsStub(BaseHTTPRequestHandler):
    """A DICOMweb PACS that knows one study: QIDO-RS search answers it for
    PatientID=P1, a 500 for PatientID=broken; WADO-RS retrieve knows nothing."""

    def do_GET(self):
        if self.path.startswith("/dicom-web/studies?") and "PatientID=broken" in self.path:
            self.send_response(500)
            self.end_headers()
            return
        if self.path.startswith("/dicom-web/studies"):
            if "?" not in self.path:
                self.send_response(404)
                self.end_headers()
                return
            body = json.dumps([{"0020000D": {"vr": "UI", "Value": ["1.2.3.4"]},
                                "00100020": {"vr": "LO", "Value": ["P1"]},
                                "00100010": {"vr": "PN", "Value": [{"Alphabetic": "ZHANG^SAN"}]}}]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def start_pacs_stub():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PacsStub)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, admin_key, secret, pacs_url):
        self.data_dir = tempfile.mkdtemp(prefix="hz-contract-")
        self.port = free_port()
        self.log_path = os.path.join(self.data_dir, "server.log")
        web_root = os.path.join(self.data_dir, "web")
        os.mkdir(web_root)
        with open(os.path.join(web_root, "index.html"), "w") as f:
            f.write("<!doctype html><title>contract</title>\n")
        env = dict(os.environ)
        env.update({
            "HUIZHEN_HTTP_LISTEN": "127.0.0.1:%d" % self.port,
            "HUIZHEN_STORAGE_DATA_DIR": self.data_dir,
            "HUIZHEN_AUTH_ADMIN_KEY": admin_key,
            "HUIZHEN_AUTH_TOKEN_SECRET": secret,
            "HUIZHEN_MEDIA_IP": "127.0.0.1",
            "HUIZHEN_WEB_ROOT": web_root,  # the web client is not under test here
            "HUIZHEN_PACS_URL": pacs_url,
        })
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("huizhen exited with %d:\n%s" % (self.proc.returncode, self.tail()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    c.close()
                    return
            except OSError:
                pass
            if time.monotonic() > DEADLINE:
                raise RuntimeError("huizhen did not answer /healthz:\n" + self.tail())
            time.sleep(0.05)

    def tail(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()[-4000:].decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        with open(self.log_path, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        # a critical is a broken precondition in the server: bad input must not reach one
        return [line for line in log.splitlines() if "CRITICAL" in line or "runtime error" in line
                or "ERROR: AddressSanitizer" in line]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class WsClient:
    """Just enough of RFC 6455 to join a room and stay in it."""

    def __init__(self, port, path="/ws"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Protocol: huizhen\r\n\r\n" % (path, port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket: connection closed in the handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError("websocket: handshake refused: %r" % head[:200])

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = secrets.token_bytes(4)
        n = len(data)
        hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("websocket: closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        payload = self._read(n)
        if b0 & 0x0F == 0x8:
            raise RuntimeError("websocket: closed by the server")
        return json.loads(payload) if b0 & 0x0F == 0x1 else None

    def wait_for(self, msg_type):
        while time.monotonic() < DEADLINE:
            msg = self.recv()
            if msg is not None and msg.get("type") in (msg_type, "error"):
                return msg
        raise RuntimeError("websocket: no %s message" % msg_type)

    def close(self):
        self.sock.close()


# ----------------------------------------------------------------- contract


class Contract:
    def __init__(self, spec, server, admin_key):
        self.spec = spec
        self.v = Validator(spec)
        self.server = server
        self.admin = admin_key
        self.failures = []
        self.checked = 0
        self.seen = set()  # (METHOD, template, status)
        self.templates = []
        for template in spec["paths"]:
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self.templates.append((template, re.compile(rx)))
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                for status, resp in op["responses"].items():
                    for media in self.v.resolve(resp).get("content", {}).values():
                        self.v.check_schema(media.get("schema", {}), "%s %s %s" % (method, template, status))

    def template_of(self, path):
        path = path.split("?", 1)[0]
        # a literal segment wins over a parameter (documents/pacs over documents/{doc_id})
        matches = [t for t, rx in self.templates if rx.match(path)]
        matches.sort(key=lambda t: t.count("{"))
        return matches[0] if matches else None

    def request(self, method, path, body=None, auth="admin", headers=None, ctype=None):
        if time.monotonic() > DEADLINE:
            raise RuntimeError("out of time")
        h = dict(headers or {})
        if auth == "admin":
            h["Authorization"] = "Bearer " + self.admin
        elif auth is not None:
            h["Authorization"] = auth
        data = None
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
            else:
                data = json.dumps(body).encode("utf-8")
                ctype = ctype or "application/json"
            h["Content-Type"] = ctype or "application/octet-stream"
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        c.close()
        return resp

    def fail(self, what, why):
        self.failures.append("%s: %s" % (what, why))
        print("FAIL %s: %s" % (what, why))

    def call(self, method, path, expect, body=None, auth="admin", headers=None, ctype=None, label=""):
        """Makes the request, checks the answer against the spec and that its
        status is @expect; returns the Response (parsed JSON in .data)."""
        r = self.request(method, path, body, auth, headers, ctype)
        what = "%s %s%s -> %d" % (method, path, " (" + label + ")" if label else "", r.status)
        self.checked += 1
        r.data = None
        template = self.template_of(path)
        op = self.spec["paths"].get(template, {}).get(method.lower()) if template else None
        if op is None:
            self.fail(what, "the spec has no operation %s %s" % (method, template or path))
            return r
        self.seen.add((method, template, r.status))
        if r.status != expect:
            self.fail(what, "expected %d; body %r" % (expect, r.body[:300]))
        spec_resp = op["responses"].get(str(r.status))
        if spec_resp is None:
            self.fail(what, "status %d is not in the spec for %s %s" % (r.status, method, template))
            return r
        self.check_response(what, r, self.v.resolve(spec_resp))
        if r.status != expect:
            r.data = None  # the scenario goes on without what this call was to give
        return r

    def check_response(self, what, r, spec_resp):
        for name, hdr in spec_resp.get("headers", {}).items():
            if hdr.get("required") and name.lower() not in r.headers:
                self.fail(what, "header %s is missing" % name)
        content = spec_resp.get("content")
        ctype = r.headers.get("content-type", "")
        if not content:
            if r.body:
                self.fail(what, "a body (%d bytes) where the spec has none" % len(r.body))
            return
        norm = lambda s: s.replace(" ", "").lower()
        media = next((m for m in content if norm(m) == norm(ctype)), None)
        if media is None:
            media = next((m for m in content if norm(m).split(";")[0] == norm(ctype).split(";")[0]), None)
        if media is None:
            self.fail(what, "Content-Type %r is not one of %s" % (ctype, list(content)))
            return
        schema = content[media].get("schema")
        if not media.startswith("application/json") or schema is None:
            if schema is not None and schema.get("format") != "binary" and schema.get("type") == "string":
                try:
                    r.body.decode("utf-8")
                except UnicodeDecodeError:
                    self.fail(what, "a text body that is not UTF-8")
            return
        try:
            r.data = r.json()
        except ValueError as e:
            self.fail(what, "the body is not JSON: %s" % e)
            return
        try:
            self.v.validate(r.data, schema)
        except SchemaError as e:
            self.fail(what, "body: %s" % e)

    def check_methods(self):
        """Every path answers 405 (Error body) to the methods the spec does not list."""
        for template, item in self.spec["paths"].items():
            path = re.sub(r"\{[^}]+\}", "x0", template)
            served = {m for t, rx in self.templates if rx.match(path) for m in self.spec["paths"][t]}
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                if method.lower() in served:
                    continue  # e.g. GET .../documents/pacs is GET .../documents/{doc_id}
                r = self.request(method, path)
                self.checked += 1
                what = "%s %s -> %d" % (method, path, r.status)
                if r.status != 405:
                    self.fail(what, "a method the spec does not list must be 405")
                    continue
                try:
                    self.v.validate(r.json(), self.spec["components"]["schemas"]["Error"])
                except (ValueError, SchemaError) as e:
                    self.fail(what, "405 body: %s" % e)

    # Success paths this test cannot reach without media or DICOM fixtures;
    # their error paths are driven.
    NO_SUCCESS_PATH = {
        ("GET", "/api/v1/recordings/{id}/media"): "needs a published track (WebRTC media)",
        ("POST", "/api/v1/rooms/{id}/documents/pacs"): "needs a PACS serving DICOM instances",
    }

    def report_coverage(self):
        """Every operation must have been driven to at least one 2xx."""
        for template, item in self.spec["paths"].items():
            for method in item:
                if method == "parameters":
                    continue
                ok = any(m == method.upper() and t == template and 200 <= s < 300 for m, t, s in self.seen)
                why = self.NO_SUCCESS_PATH.get((method.upper(), template))
                if not ok and why:
                    print("# %s %s: success path not driven (%s)" % (method.upper(), template, why))
                elif not ok:
                    self.fail("%s %s" % (method.upper(), template), "no success path was driven")


# ------------------------------------------------------------------ fixtures


def png_1x1():
    def chunk(kind, data):
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))
    ihdr = struct.pack("!IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    idat = zlib.compress(b"\x00\x80")                     # filter 0, one grey pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def rfc3339(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def scenario(c):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    soon, later = rfc3339(now + timedelta(minutes=5)), rfc3339(now + timedelta(minutes=65))
    bad_key = "Bearer not-the-key"

    # health and metrics
    c.call("GET", "/healthz", 200, auth=None)
    c.call("GET", "/metrics", 200)
    c.call("GET", "/metrics", 401, auth=bad_key)

    # rooms: create
    room = c.call("POST", "/api/v1/rooms", 201, {
        "title": "县医院 — 疑难病例会诊", "kind": "consult", "starts_at": soon, "ends_at": later,
        "host_institution": "省人民医院", "record": False, "no_overlap": True}).data
    rid = room["id"] if room else "missing"
    teach = c.call("POST", "/api/v1/rooms", 201, {
        "title": "Ultrasound basics", "kind": "teaching", "starts_at": soon, "ends_at": later,
        "capacity": 50}).data
    tid = teach["id"] if teach else "missing"
    c.call("POST", "/api/v1/rooms", 401, {"title": "x"}, auth=None)
    c.call("POST", "/api/v1/rooms", 401, {"title": "x"}, auth=bad_key)
    c.call("POST", "/api/v1/rooms", 400, b"{not json", ctype="application/json", label="invalid json")
    c.call("POST", "/api/v1/rooms", 400, {"title": "t", "kind": "consult", "starts_at": soon}, label="missing")
    c.call("POST", "/api/v1/rooms", 400, {"title": "t", "kind": "lecture", "starts_at": soon, "ends_at": later},
           label="bad kind")
    c.call("POST", "/api/v1/rooms", 400, {"title": "t", "kind": "consult", "starts_at": later, "ends_at": soon},
           label="ends before starts")
    c.call("POST", "/api/v1/rooms", 400, {"title": "t", "kind": "consult", "starts_at": "tomorrow",
                                          "ends_at": later}, label="bad time")
    c.call("POST", "/api/v1/rooms", 400, {"title": "t", "kind": "consult", "starts_at": soon, "ends_at": later,
                                          "colour": "red"}, label="unknown field")
    c.call("POST", "/api/v1/rooms", 409, {"title": "t", "kind": "consult", "starts_at": soon, "ends_at": later,
                                          "host_institution": "省人民医院", "no_overlap": True}, label="overlap")
    c.call("POST", "/api/v1/rooms", 413, b"{" + b" " * (70 * 1024) + b"}", ctype="application/json",
           label="too large")

    # rooms: list, get, patch
    c.call("GET", "/api/v1/rooms", 200)
    c.call("GET", "/api/v1/rooms?state=scheduled&from=%s&limit=1&offset=0" % rfc3339(now), 200)
    c.call("GET", "/api/v1/rooms?state=asleep", 400)
    c.call("GET", "/api/v1/rooms?limit=0", 400)
    c.call("GET", "/api/v1/rooms?from=yesterday", 400)
    c.call("GET", "/api/v1/rooms", 401, auth=None)
    c.call("GET", "/api/v1/rooms/" + rid, 200)
    c.call("GET", "/api/v1/rooms/no-such-room", 404)
    c.call("GET", "/api/v1/rooms/" + rid, 401, auth=bad_key)
    c.call("PATCH", "/api/v1/rooms/" + tid, 200, {"title": "Ultrasound basics II", "capacity": None})
    c.call("PATCH", "/api/v1/rooms/" + tid, 400, {"kind": "consult"}, label="kind")
    c.call("PATCH", "/api/v1/rooms/" + tid, 400, {"capacity": 0}, label="capacity")
    c.call("PATCH", "/api/v1/rooms/" + tid, 400, [1, 2], label="not an object")
    c.call("PATCH", "/api/v1/rooms/no-such-room", 404, {"title": "x"})
    c.call("PATCH", "/api/v1/rooms/" + tid, 401, {"title": "x"}, auth=None)

    # tokens
    tok = c.call("POST", "/api/v1/rooms/%s/tokens" % rid, 201, {
        "user": "dr-wang", "display_name": "王医生", "institution": "省人民医院", "role": "specialist"}).data
    doctor = tok["token"] if tok else ""
    stu = c.call("POST", "/api/v1/rooms/%s/tokens" % rid, 201, {
        "user": "stu-1", "display_name": "Li Lei", "institution": "County", "role": "student",
        "ttl_s": 600}).data
    student = stu["token"] if stu else ""
    t2 = c.call("POST", "/api/v1/rooms/%s/tokens" % tid, 201, {
        "user": "dr-li", "display_name": "Dr Li", "institution": "County", "role": "doctor"}).data
    other_room = t2["token"] if t2 else ""
    c.call("POST", "/api/v1/rooms/%s/tokens" % rid, 400, {
        "user": "u", "display_name": "d", "institution": "i", "role": "janitor"}, label="bad role")
    c.call("POST", "/api/v1/rooms/%s/tokens" % rid, 400, {
        "user": "u", "display_name": "d", "institution": "i", "role": "doctor", "ttl_s": 0}, label="bad ttl")
    c.call("POST", "/api/v1/rooms/%s/tokens" % rid, 400, {"user": "u"}, label="missing")
    c.call("POST", "/api/v1/rooms/no-such-room/tokens", 404, {
        "user": "u", "display_name": "d", "institution": "i", "role": "doctor"})
    c.call("POST", "/api/v1/rooms/%s/tokens" % rid, 401, {}, auth=None)

    # a live participant: GET /rooms/{id} lists them; recording can start
    ws = WsClient(c.server.port)
    ws.send({"type": "join", "token": doctor, "id": "j1"})
    joined = ws.wait_for("joined")
    if joined.get("type") != "joined":
        c.fail("websocket join", repr(joined))
    r = c.call("GET", "/api/v1/rooms/" + rid, 200, label="live")
    if r.data is not None and len(r.data.get("participants", [])) != 1:
        c.fail("GET /api/v1/rooms/{id} (live)", "expected one participant, got %r" % r.data.get("participants"))

    # recording of the live room
    c.call("POST", "/api/v1/rooms/%s/recording" % tid, 409, {"action": "start"}, label="nobody there")
    c.call("POST", "/api/v1/rooms/%s/recording" % rid, 400, {"action": "pause"})
    c.call("POST", "/api/v1/rooms/%s/recording" % rid, 401, {"action": "start"}, auth=None)
    c.call("POST", "/api/v1/rooms/%s/recording" % rid, 200, {"action": "start"})
    c.call("POST", "/api/v1/rooms/%s/recording" % rid, 200, {"action": "stop"})
    rec_id = wait_recording(c, rid)
    c.call("GET", "/api/v1/recordings", 200)
    c.call("GET", "/api/v1/recordings?state=finished&q=%E4%BC%9A%E8%AF%8A&from=2020-01-01T00:00:00Z&limit=5", 200)
    c.call("GET", "/api/v1/recordings?state=sleeping", 400)
    c.call("GET", "/api/v1/recordings?limit=x", 400)
    c.call("GET", "/api/v1/recordings", 401, auth=None)
    c.call("GET", "/api/v1/recordings/" + rec_id, 200)
    c.call("GET", "/api/v1/recordings/no-such-recording", 404)
    c.call("GET", "/api/v1/recordings/%s?token=1.abc" % rec_id, 403, auth=None)
    c.call("GET", "/api/v1/recordings/" + rec_id, 401, auth=None)
    rt = c.call("POST", "/api/v1/recordings/%s/tokens" % rec_id, 201, {"ttl_s": 600}).data
    c.call("POST", "/api/v1/recordings/%s/tokens" % rec_id, 201, label="no body")
    c.call("POST", "/api/v1/recordings/%s/tokens" % rec_id, 400, {"ttl_s": 0})
    c.call("POST", "/api/v1/recordings/no-such-recording/tokens", 404)
    c.call("POST", "/api/v1/recordings/%s/tokens" % rec_id, 401, auth=None)
    if rt:
        c.call("GET", "/api/v1/recordings/%s?token=%s" % (rec_id, rt["token"]), 200, auth=None, label="token")
        c.call("GET", "/api/v1/recordings/%s?token=%s" % ("other", rt["token"]), 403, auth=None,
               label="token of another recording")

    # media: a recording of a room where nobody published has no file
    c.call("GET", "/api/v1/recordings/%s/media" % rec_id, 404, label="nothing composed")
    c.call("GET", "/api/v1/recordings/%s/media?track=0" % rec_id, 404, label="no track")
    c.call("GET", "/api/v1/recordings/%s/media?track=x" % rec_id, 400)
    c.call("GET", "/api/v1/recordings/%s/media?token=1.abc" % rec_id, 403, auth=None)
    c.call("GET", "/api/v1/recordings/%s/media" % rec_id, 401, auth=None)
    c.call("GET", "/api/v1/recordings/no-such-recording/media", 404)
    media_paths(c, rec_id, rt["token"] if rt else None)

    # documents
    png = png_1x1()
    docs = c.call("POST", "/api/v1/rooms/%s/documents?name=scan.png" % rid, 201, png, ctype="image/png").data
    doc_id = docs["documents"][0]["id"] if docs and docs.get("documents") else "0" * 32
    c.call("POST", "/api/v1/rooms/%s/documents?name=x.png" % rid, 201, png, ctype="image/png",
           auth="Bearer " + doctor, label="join token")
    boundary = "hzcontract" + secrets.token_hex(4)
    multipart = b"".join([
        b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
        b"Content-Type: image/png\r\n\r\n" + png + b"\r\n",
        b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.png\"\r\n"
        b"Content-Type: image/png\r\n\r\n" + png + b"\r\n",
        b"--" + boundary.encode() + b"--\r\n"])
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 201, multipart,
           ctype="multipart/form-data; boundary=" + boundary, label="multipart")
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 415, b"hello", ctype="text/plain")
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 415, png, ctype="application/pdf", label="declared pdf")
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 422, png[:20], ctype="image/png", label="truncated png")
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 401, png, ctype="image/png", auth=None)
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 401, png, ctype="image/png", auth=bad_key)
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 403, png, ctype="image/png",
           auth="Bearer " + student, label="student")
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 403, png, ctype="image/png",
           auth="Bearer " + other_room, label="other room's token")
    c.call("POST", "/api/v1/rooms/no-such-room/documents", 404, png, ctype="image/png")
    c.call("GET", "/api/v1/rooms/%s/documents" % rid, 200)
    c.call("GET", "/api/v1/rooms/%s/documents" % rid, 200, auth="Bearer " + doctor, label="join token")
    c.call("GET", "/api/v1/rooms/%s/documents" % rid, 403, auth="Bearer " + student, label="student, consult")
    c.call("GET", "/api/v1/rooms/%s/documents" % rid, 401, auth=None)
    c.call("GET", "/api/v1/rooms/no-such-room/documents", 404)
    got = c.call("GET", "/api/v1/rooms/%s/documents/%s" % (rid, doc_id), 200)
    if got.status == 200 and got.body != png:
        c.fail("GET document", "the bytes differ from what was shared")
    c.call("GET", "/api/v1/rooms/%s/documents/%s" % (rid, "f" * 32), 404)
    c.call("GET", "/api/v1/rooms/%s/documents/%s" % (rid, doc_id), 403, auth="Bearer " + other_room)
    c.call("GET", "/api/v1/rooms/%s/documents/%s" % (rid, doc_id), 401, auth=None)
    c.call("POST", "/api/v1/rooms/%s/documents/pacs" % rid, 404, {"study_uid": "1.2.3"}, label="no such study")
    c.call("POST", "/api/v1/rooms/%s/documents/pacs" % rid, 400, {"study_uid": "1.2.x"})
    c.call("POST", "/api/v1/rooms/%s/documents/pacs" % rid, 401, {"study_uid": "1.2.3"}, auth=None)
    c.call("POST", "/api/v1/rooms/%s/documents/pacs" % rid, 403, {"study_uid": "1.2.3"},
           auth="Bearer " + student)
    c.call("GET", "/api/v1/pacs/studies?PatientID=P1", 200)
    c.call("GET", "/api/v1/pacs/studies?PatientID=P1", 200, auth="Bearer " + doctor, label="join token")
    c.call("GET", "/api/v1/pacs/studies?PatientID=broken", 502, label="PACS fails")
    c.call("GET", "/api/v1/pacs/studies", 401, auth=None)
    c.call("GET", "/api/v1/pacs/studies", 403, auth="Bearer " + student)

    # conclusion by API, then the record
    c.call("POST", "/api/v1/rooms/%s/conclusion" % rid, 201, {
        "text": "考虑急性胰腺炎，建议转上级医院。", "referral": {"direction": "up", "institution": "省人民医院"},
        "by": "dr-wang"})
    c.call("POST", "/api/v1/rooms/%s/conclusion" % rid, 400, {"text": ""}, label="empty text")
    c.call("POST", "/api/v1/rooms/%s/conclusion" % rid, 400, {"text": "x", "referral": {"direction": "left",
                                                                                         "institution": "y"}})
    c.call("POST", "/api/v1/rooms/%s/conclusion" % rid, 400, {"text": "x", "mood": "fine"}, label="unknown")
    c.call("POST", "/api/v1/rooms/no-such-room/conclusion", 404, {"text": "x"})
    c.call("POST", "/api/v1/rooms/%s/conclusion" % rid, 401, {"text": "x"}, auth=None)
    ws.send({"type": "leave"})
    ws.close()

    # consult workflow
    cons = c.call("POST", "/api/v1/consults", 201, {
        "inviting_institution": "城关镇卫生院", "invited_institution": "省人民医院",
        "reason": "腹痛三天，请上级医院会诊。", "patient_context": {"age": 56, "sex": "男"},
        "requested_by": "dr-zhang"}).data
    cid = cons["id"] if cons else "missing"
    c.call("POST", "/api/v1/consults", 201, {
        "inviting_institution": "Clinic", "invited_institution": "Hospital", "reason": "second opinion",
        "patient_context": "56-year-old man"}, label="text context")
    c.call("POST", "/api/v1/consults", 400, {"inviting_institution": "Clinic"}, label="missing")
    c.call("POST", "/api/v1/consults", 400, {"inviting_institution": "C", "invited_institution": "H",
                                             "reason": "r", "patient_context": 5}, label="bad context")
    c.call("POST", "/api/v1/consults", 401, {}, auth=None)
    c.call("POST", "/api/v1/consults/%s/consent" % cid, 200, {"confirmed_by": "护士 李娜",
                                                              "at": rfc3339(now)})
    c.call("POST", "/api/v1/consults/%s/consent" % cid, 400, {"confirmed_by": "x", "at": "now"})
    c.call("POST", "/api/v1/consults/no-such-consult/consent", 404, {"confirmed_by": "x"})
    c.call("POST", "/api/v1/consults/%s/consent" % cid, 401, {"confirmed_by": "x"}, auth=None)
    accept = {"title": "疑难病例会诊", "starts_at": rfc3339(now + timedelta(hours=3)),
              "ends_at": rfc3339(now + timedelta(hours=4)), "accepted_by": "dr-wang"}
    c.call("POST", "/api/v1/consults/%s/accept" % cid, 400, dict(accept, kind="teaching"), label="teaching")
    c.call("POST", "/api/v1/consults/no-such-consult/accept", 404, accept)
    c.call("POST", "/api/v1/consults/%s/accept" % cid, 201, accept)
    c.call("POST", "/api/v1/consults/%s/accept" % cid, 409, accept, label="again")
    c.call("POST", "/api/v1/consults/%s/accept" % cid, 401, accept, auth=None)
    c.call("GET", "/api/v1/consults", 200)
    c.call("GET", "/api/v1/consults?institution=%E7%9C%81%E4%BA%BA%E6%B0%91%E5%8C%BB%E9%99%A2"
           "&participant=dr-wang&from=2020-01-01T00:00:00Z&limit=10", 200)
    c.call("GET", "/api/v1/consults?to=soon", 400)
    c.call("GET", "/api/v1/consults", 401, auth=None)
    rec = c.call("GET", "/api/v1/consults/" + rid, 200).data
    if rec is not None:
        if rec.get("status") != "concluded" or not rec.get("participants") or not rec.get("documents"):
            c.fail("GET /api/v1/consults/{id}", "the record lacks its conclusion, participant or documents")
    c.call("GET", "/api/v1/consults/" + cid, 200)
    c.call("GET", "/api/v1/consults/no-such-consult", 404)
    c.call("GET", "/api/v1/consults/" + rid, 401, auth=None)

    # audit
    c.call("GET", "/api/v1/audit", 200)
    c.call("GET", "/api/v1/audit?action=room_update&outcome=ok&from=2020-01-01T00:00:00Z&limit=2", 200)
    c.call("GET", "/api/v1/audit?limit=501", 400)
    c.call("GET", "/api/v1/audit", 401, auth=None)

    # cancelling, then what a closed room refuses
    c.call("DELETE", "/api/v1/rooms/" + rid, 200)
    c.call("DELETE", "/api/v1/rooms/" + rid, 409, label="already closed")
    c.call("DELETE", "/api/v1/rooms/no-such-room", 404)
    c.call("DELETE", "/api/v1/rooms/" + tid, 401, auth=None)
    c.call("PATCH", "/api/v1/rooms/" + rid, 409, {"title": "again"}, label="closed")
    c.call("POST", "/api/v1/rooms/%s/tokens" % rid, 410, {
        "user": "u", "display_name": "d", "institution": "i", "role": "doctor"}, label="closed")
    c.call("POST", "/api/v1/rooms/%s/documents" % rid, 410, png, ctype="image/png", label="closed")

    # unknown endpoint, and the methods no route has
    r = c.request("GET", "/api/v1/nothing-here")
    if r.status != 404:
        c.fail("GET /api/v1/nothing-here", "expected 404, got %d" % r.status)
    c.check_methods()

    # deleting the recording last (its room is closed, the recording done)
    c.call("DELETE", "/api/v1/recordings/" + rec_id, 204)
    c.call("DELETE", "/api/v1/recordings/" + rec_id, 404, label="gone")
    c.call("DELETE", "/api/v1/recordings/" + rec_id, 401, auth=None)


def media_paths(c, rec_id, token):
    """Drives 200, 206 and 416 of the media route on a track file: the
    recording of a room without published media has no tracks, so one is
    written into its directory and named in the catalog through the
    manifest the server reads back (skipped when the layout differs)."""
    entry = c.request("GET", "/api/v1/recordings/" + rec_id)
    data = json.loads(entry.body) if entry.status == 200 else {}
    tracks = data.get("tracks") or []
    if not tracks:
        print("# media 200/206/416: no track in recording %s (no media was published); "
              "only the error paths were driven" % rec_id)
        return
    base = "/api/v1/recordings/%s/media?track=%d" % (rec_id, tracks[0]["index"])
    full = c.call("GET", base, 200)
    c.call("GET", base, 206, headers={"Range": "bytes=0-0"})
    c.call("GET", base, 416, headers={"Range": "bytes=%d-" % (len(full.body) + 10)})
    if token:
        c.call("GET", base + "&token=" + token, 200, auth=None, label="token")


def wait_recording(c, room_id):
    """The library entry of room_id's recording, once it is catalogued (at
    stop) and its compose job is over; "missing" after 10 s."""
    for _ in range(200):
        r = c.request("GET", "/api/v1/recordings?room=" + room_id)
        entries = json.loads(r.body).get("recordings", []) if r.status == 200 else []
        if entries and entries[0]["state"] not in ("recording", "composing"):
            return entries[0]["id"]
        time.sleep(0.05)
    c.fail("recording of room " + room_id, "not in the library 10 s after it stopped")
    return "missing"


def main():
    binary = os.environ.get("HUIZHEN_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print("HUIZHEN_BIN must name the huizhen binary", file=sys.stderr)
        return 2
    with open(SPEC_PATH, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    if not str(spec.get("openapi", "")).startswith("3.0"):
        print("%s is not OpenAPI 3.0" % SPEC_PATH, file=sys.stderr)
        return 1
    admin = "contract-admin-" + secrets.token_hex(8)
    pacs = start_pacs_stub()
    server = Server(binary, admin, "contract-secret-" + secrets.token_hex(16),
                    "http://127.0.0.1:%d/dicom-web" % pacs.server_address[1])
    c = None
    try:
        c = Contract(spec, server, admin)
        scenario(c)
        c.report_coverage()
    except Exception as e:  # a crash of the scenario is a failure, with the server's log
        if c is not None:
            c.fail("scenario", "%s: %s" % (type(e).__name__, e))
        else:
            print("FAIL setup: %s" % e)
        print(server.tail())
        return 1
    finally:
        alive = server.proc.poll() is None
        bad_lines = server.stop()
        pacs.shutdown()
    if not alive:
        c.fail("server", "huizhen died during the run")
    for line in bad_lines:
        c.fail("server log", line)
    print("%d answers checked against %s, %d failures" % (c.checked, os.path.basename(SPEC_PATH),
                                                           len(c.failures)))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
