#!/usr/bin/env python3
"""Writes the seed corpora of fuzz-rtp and fuzz-rtcp: realistic packets as a
browser sends them. Run from anywhere; rewrites corpus/rtp/seed-* and
corpus/rtcp/seed-* (crash reproducers, named crash-*, are kept)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def rtp(pt, seq, ts, ssrc, payload, marker=False, ext=None, csrcs=(), pad=0):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext else 0) | len(csrcs)
    out = struct.pack('!BBHII', b0, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    out += b''.join(struct.pack('!I', c) for c in csrcs)
    if ext:
        profile, data = ext
        data += b'\0' * (-len(data) % 4)
        out += struct.pack('!HH', profile, len(data) // 4) + data
    out += payload
    if pad:
        out += b'\0' * (pad - 1) + bytes([pad])
    return out


def one_byte(*elems):
    return 0xBEDE, b''.join(bytes([(i << 4) | (len(d) - 1)]) + d for i, d in elems)


def two_byte(*elems):
    return 0x1000, b''.join(bytes([i, len(d)]) + d for i, d in elems)


def rtcp(count, pt, body, padding=0):
    body += b'\0' * (padding - 1) + bytes([padding]) if padding else b''
    assert len(body) % 4 == 0, 'RTCP packets are whole 32-bit words'
    return struct.pack('!BBH', 0x80 | (0x20 if padding else 0) | count, pt, len(body) // 4) + body


def block(ssrc, frac, lost, ehs, jitter, lsr, dlsr):
    return struct.pack('!IB', ssrc, frac) + (lost & 0xFFFFFF).to_bytes(3, 'big') + \
        struct.pack('!IIII', ehs, jitter, lsr, dlsr)


def fb(fmt, pt, sender, media, fci):
    return rtcp(fmt, pt, struct.pack('!II', sender, media) + fci)


vp8_key = bytes([0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x50, 0x42, 0x00,
                 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]) + bytes(range(32))
vp8_delta = bytes([0x90, 0x80, 0x7f, 0x31, 0x01, 0x00]) + bytes(16)
sps = bytes([0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8])
pps = bytes([0x68, 0xce, 0x3c, 0x80])
idr = bytes([0x65, 0x88, 0x84, 0x00, 0x33, 0xff]) + bytes(20)
stap_a = bytes([0x78]) + b''.join(struct.pack('!H', len(n)) + n for n in (sps, pps, idr))
fu_a_start = bytes([0x7c, 0x85]) + idr[1:]
fu_a_end = bytes([0x7c, 0x45]) + bytes(12)
opus_ext = one_byte((1, b'\xaa'), (3, b'0'), (5, b'\x00\x07'), (2, b'\x12\x34\x56'))
video_ext = two_byte((3, b'1'), (10, b'\x00\x2a'), (20, b'h'), (21, b'f'), (16, b''))

RTP = {
    'opus-level-mid': rtp(111, 0x1234, 1000, 0xdeadbeef, b'\xfc\xff\xfe', ext=opus_ext),
    'vp8-key-start': rtp(96, 16, 90000, 0x01020304, vp8_key, ext=one_byte((3, b'1'), (4, b'h'), (5, b'\x00\x08'))),
    'vp8-delta-two-byte': rtp(96, 17, 93000, 0x01020304, vp8_delta, marker=True, ext=video_ext),
    'h264-stap-a': rtp(102, 1, 3000, 0x0a0a0a0a, stap_a, ext=one_byte((3, b'2'))),
    'h264-fu-a-start': rtp(102, 2, 3000, 0x0a0a0a0a, fu_a_start),
    'h264-fu-a-end': rtp(102, 3, 3000, 0x0a0a0a0a, fu_a_end, marker=True),
    'rtx-csrc-padded': rtp(97, 65535, 0xffffffff, 5, b'\x00\x10' + vp8_delta, csrcs=(2, 3), pad=4),
    'stun-binding': bytes.fromhex('000100082112a442010203040506070809' '0a0b0c00240004'
                                  '6e7f1eff'),
    'dtls-client-hello': bytes.fromhex('16fefd000000000000000000010' '1'),
}

sr_body = struct.pack('!IQIII', 0x11223344, 0xe83e6a1080000000, 90000, 100, 10000) + \
    block(0x55667788, 25, -2, 0x10005, 32, 0xabcd1234, 65536)
sdes = rtcp(1, 202, struct.pack('!I', 0x11223344) + b'\x01\x08huizhen1\x00\x00')
rr = rtcp(1, 201, struct.pack('!I', 0x0a0b0c0d) + block(0x11223344, 0, 12, 0xffff, 256, 0, 0))
pli = fb(1, 206, 0x0a0b0c0d, 0x11223344, b'')
fir = fb(4, 206, 0x0a0b0c0d, 0, struct.pack('!IB3x', 0x11223344, 7))
nack = fb(1, 205, 0x0a0b0c0d, 0x11223344, struct.pack('!HHHH', 100, 0x8011, 65535, 0x0009))
remb = fb(15, 206, 0x0a0b0c0d, 0, b'REMB' + bytes([2, 0x0b, 0xd0, 0x90]) + struct.pack('!II', 0x11223344, 0x55667788))
twcc = fb(15, 205, 0x0a0b0c0d, 0x11223344, struct.pack('!HH', 256, 3) + b'\xff\xff\xfe\x07' + b'\x20\x03\x04\x04')
bye = rtcp(2, 203, struct.pack('!II', 0x11223344, 0x55667788) + b'\x05leave\x00\x00')

RTCP = {
    'sr-sdes': rtcp(1, 200, sr_body) + sdes,
    'rr': rr,
    'rr-padded': rtcp(0, 201, struct.pack('!I', 0x0a0b0c0d), padding=4),
    'pli': pli,
    'fir': fir,
    'nack': nack,
    'remb': remb,
    'twcc': twcc,
    'bye': bye,
    'rr-pli-remb': rr + pli + remb,
    'rr-nack-twcc-bye': rr + nack + twcc + bye,
}

for sub, seeds in (('rtp', RTP), ('rtcp', RTCP)):
    d = os.path.join(HERE, sub)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, 'seed-' + name), 'wb') as f:
            f.write(data)
