#!/usr/bin/env python3
"""Writes the seed corpora of harden's fuzzers (tests/fuzz/fuzz-*.c):
token, signal-json, room-json, sdp-answer, sdp-offer. The SDP seeds come from
the real Chromium captures in tests/fixtures/captured-*.sdp; dtls seeds are
real handshake datagrams written by tools/dtls-capture (see HARDENING.md).
Run from anywhere: python3 tests/fuzz/corpus/gen-harden.py"""
import base64, hashlib, hmac, json, os, struct

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, '..', '..', 'fixtures')


def write(name, fname, data):
    d = os.path.join(here, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def token(secret, claims):
    payload = b64u(json.dumps(claims, separators=(',', ':')).encode())
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return payload + '.' + b64u(mac)


NOW = 1750000000
claims = {'room': '3f1c2b9e-7d7a-4c55-9a51-0f5e2a1b7c11', 'user': 'dr-wang', 'display_name': 'Dr Wang',
          'institution': 'Township Clinic', 'role': 'doctor', 'iat': NOW - 60, 'exp': NOW + 3600,
          'jti': 'b5c0d6a4e0f14c2a'}


def token_input(secret, tok, now=NOW):
    s = secret.encode()
    return bytes([len(s)]) + s + struct.pack('<q', now) + tok.encode()


# ---- token: [secret len][secret][now, 8 bytes LE][token] ----
sec = 'fuzz-token-secret'
write('token', 'valid', token_input(sec, token(sec, claims)))
write('token', 'expired', token_input(sec, token(sec, claims), NOW + 7200))
write('token', 'wrong-secret', token_input('other', token(sec, claims)))
write('token', 'bad-role', token_input(sec, token(sec, dict(claims, role='admin'))))
write('token', 'iat-after-exp', token_input(sec, token(sec, dict(claims, iat=NOW + 9999))))
write('token', 'int-as-string', token_input(sec, token(sec, dict(claims, exp=str(NOW + 3600)))))
write('token', 'not-object', token_input(sec, token(sec, [1, 2])))
write('token', 'two-dots', token_input(sec, 'a.b.c'))
write('token', 'unicode', token_input(sec, token(sec, dict(claims, display_name='王医生 \u202e'))))

# ---- signal-json: one WebSocket message (API.md) ----
offer = open(os.path.join(fixtures, 'captured-chromium-offer-av.sdp')).read()
answer = open(os.path.join(fixtures, 'captured-chromium-answer.sdp')).read()
msgs = {
    'join': {'type': 'join', 'id': 1, 'token': token('fuzz-token-secret', claims)},
    'join-bad-token': {'type': 'join', 'id': 1, 'token': 'x.y'},
    'publish': {'type': 'publish', 'id': 2, 'sdp': offer},
    'answer': {'type': 'answer', 'sdp': answer},
    'trickle': {'type': 'trickle', 'target': 'publisher', 'candidate': {
        'candidate': 'candidate:1 1 udp 2130706431 192.168.1.5 50000 typ host', 'sdpMid': '0', 'sdpMLineIndex': 0}},
    'trickle-end': {'type': 'trickle', 'target': 'subscriber', 'candidate': None},
    'mute': {'type': 'mute', 'kind': 'audio', 'muted': True},
    'chat': {'type': 'chat', 'text': '患者 CT 已上传'},
    'moderate': {'type': 'moderate', 'action': 'remove', 'participant_id': 'p1'},
    'conclude': {'type': 'conclude', 'text': 'refer', 'referral': {'direction': 'up', 'institution': 'County'}},
    'leave': {'type': 'leave', 'id': {'nested': [1, 2.5, None]}},
}
for k, v in msgs.items():
    write('signal-json', k, json.dumps(v, ensure_ascii=False))
write('signal-json', 'deep-nesting', '[' * 2000 + ']' * 2000)
write('signal-json', 'not-object', '"join"')

# ---- room-json: POST /api/v1/rooms bodies ----
rooms = {
    'consult': {'title': '会诊 Case 17', 'kind': 'consult', 'starts_at': '2025-06-15T09:00:00Z',
                'ends_at': '2025-06-15T10:00:00+08:00', 'capacity': 4, 'record': True,
                'host_institution': 'County Hospital'},
    'teaching': {'title': 'ECG basics', 'kind': 'teaching', 'starts_at': '2025-06-15T09:00:00Z',
                 'ends_at': '2025-06-15T11:00:00Z'},
    'too-long': {'title': 'x', 'kind': 'consult', 'starts_at': '2025-06-15T09:00:00Z',
                 'ends_at': '2025-06-17T09:00:00Z'},
    'reversed': {'title': 'x', 'kind': 'consult', 'starts_at': '2025-06-15T09:00:00Z',
                 'ends_at': '2025-06-15T08:00:00Z'},
    'unknown-field': {'title': 'x', 'kind': 'consult', 'starts_at': '2025-06-15T09:00:00Z',
                      'ends_at': '2025-06-15T10:00:00Z', 'owner': 'me'},
    'capacity-huge': {'title': 'x', 'kind': 'consult', 'starts_at': '2025-06-15T09:00:00Z',
                      'ends_at': '2025-06-15T10:00:00Z', 'capacity': 2 ** 40},
}
for k, v in rooms.items():
    write('room-json', k, json.dumps(v, ensure_ascii=False))
write('room-json', 'not-object', '[]')

# ---- sdp-answer: first line = offered mids ----
write('sdp-answer', 'captured-answer', '0 1\n' + answer)
write('sdp-answer', 'captured-answer-wrong-mids', '1 0\n' + answer)
write('sdp-answer', 'captured-answer-no-mids', '\n' + answer)
sub = open(os.path.join(fixtures, 'chromium-answer-subscriber.sdp')).read()
write('sdp-answer', 'subscriber-answer', '0 1 2 3\n' + sub)

# ---- sdp-offer: [n tracks] then per track the fields fuzz-sdp-offer.c reads ----
def track(flags, name, fmtp, pt, n_ext, n_fb, fbs, rtx_pt, ssrc, mid, exts):
    b = bytes([flags, name, fmtp, pt, n_ext, n_fb]) + bytes([mid]) + bytes(fbs)
    if flags & 16:
        b += bytes([rtx_pt])
    b += struct.pack('>I', ssrc)
    b += bytes([9, 10, 1])  # stream "stream", track "track", cname "0"
    for uri, i in exts:
        b += bytes([uri, i])
    return b

# dict indices: 0 "0", 1 "1", 5 opus, 6 VP8, 7 H264, 11 opus fmtp, 12 h264 fmtp, 13-15 extmap URIs, 17 "nack pli", 18 "ccm fir"
audio = track(2 | 4, 5, 11, 111, 1, 0, [], 0, 1111, 0, [(13, 1)])
video = track(1 | 4 | 16, 6, 20, 96, 2, 2, [17, 18], 97, 2222, 1, [(13, 1), (15, 3)])
h264 = track(1 | 4 | 16, 7, 12, 102, 0, 1, [17], 103, 3333, 2, [])
inactive = track(1, 6, 20, 96, 0, 0, [], 0, 0, 3, [])
write('sdp-offer', 'audio-video', bytes([2]) + audio + video)
write('sdp-offer', 'four-tracks', bytes([4]) + audio + video + h264 + inactive)
write('sdp-offer', 'empty', bytes([0]))
