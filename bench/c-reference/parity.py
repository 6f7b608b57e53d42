#!/usr/bin/env python3
"""Differential protocol test: sends a seeded stream of valid and invalid nlfam datagrams
and prints a normalised transcript of every answer (datagram boundaries, headers,
payloads, errno, extack offset / missing type; not the extack text, not timestamps)."""
import random, socket, struct, sys, zlib

FAM = int(sys.argv[1]) if len(sys.argv) > 1 else 25
N = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 1
SOL_NETLINK, ADD, CAP_ACK, EXT_ACK = 270, 1, 10, 11
REQ, MULTI, ACK = 1, 2, 4
DUMP, REPLACE, EXCL, CREATE = 0x300, 0x100, 0x200, 0x400
r = random.Random(SEED)

def sock(pid, groups=(), cap=1, ext=1):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, FAM)
    s.bind((pid, 0))
    s.setsockopt(SOL_NETLINK, EXT_ACK, ext)
    s.setsockopt(SOL_NETLINK, CAP_ACK, cap)
    for g in groups:
        s.setsockopt(SOL_NETLINK, ADD, g)
    return s

def nla(t, p):
    b = struct.pack("HH", 4 + len(p), t) + p
    return b + b"\0" * (-len(b) % 4)

def msg(t, f, seq, payload):
    return struct.pack("IHHII", 16 + len(payload), t, f, seq, 0) + payload + b"\0" * (-len(payload) % 4)

KEYS = [b"a", b"ab", b"abc", b"b", b"k1", b"k2", b"k10", b"\xff\x01", b"\x01", b"z" * 256, b"m" * 200, b"Key"]
def key():
    return r.choice(KEYS)
def value():
    return bytes(r.getrandbits(8) for _ in range(r.choice([0, 1, 5, 100, 4096, 4097, 3])))

def garbage_attrs():
    out = b""
    for _ in range(r.randint(1, 3)):
        t = r.randint(0, 20) | r.choice([0, 0, 0, 0x8000, 0x4000])
        p = r.choice([key() + b"\0", b"\0", b"abc", b"a\0b\0", struct.pack("I", r.randint(0, 40)),
                      b"\1\2", b"\0" * 8, b"x" * 1025 + b"\0", b"y" * 257 + b"\0", b"v" * 4097, b""])
        out += nla(t, p)
    c = r.random()
    if c < 0.1:
        out += bytes(r.getrandbits(8) for _ in range(r.randint(1, 7)))
    elif c < 0.2:
        out += struct.pack("HH", 200, 1) + b"abcd"
    return out

def gen(seq):
    c = r.random()
    flags = REQ if r.random() < 0.95 else 0
    if r.random() < 0.5:
        flags |= ACK
    good = r.random() < 0.75
    if c < 0.15:
        t = 0x10
        p = bytes(r.getrandbits(8) for _ in range(r.choice([0, 1, 3, 100, 5000])))
    elif c < 0.40:
        t = 0x11
        flags |= r.choice([0, CREATE, CREATE | EXCL, CREATE | REPLACE, REPLACE, CREATE | EXCL | REPLACE, CREATE | REPLACE])
        a = [nla(1, key() + b"\0"), nla(2, value())]
        r.shuffle(a)
        if r.random() < 0.1:
            a.pop()
        p = b"".join(a) if good else garbage_attrs()
    elif c < 0.60:
        t = 0x12
        if r.random() < 0.2:
            flags |= DUMP
            p = b"" if r.random() < 0.8 else nla(1, key() + b"\0")
        else:
            p = nla(1, key() + b"\0") if good else garbage_attrs()
    elif c < 0.72:
        t = 0x13
        p = nla(1, key() + b"\0") if good else garbage_attrs()
    elif c < 0.82:
        t = 0x14
        a = [nla(5, struct.pack("I", r.choice([0, 1, 2, 3, 5, 6, 32, 33]))), nla(6, value())]
        r.shuffle(a)
        if r.random() < 0.1:
            a.pop()
        p = b"".join(a) if good else garbage_attrs()
    elif c < 0.90:
        t = 0x16
        p = b"" if good else garbage_attrs()
    else:
        t = r.choice([0x15, 0x7f, 0x18, 0x1, 0x2, 0x3, 0x5, 0xffff])
        p = garbage_attrs() if r.random() < 0.5 else b""
    return msg(t, flags, seq, p)

def attrs(b):
    out, off = [], 0
    while off + 4 <= len(b):
        l, t = struct.unpack_from("HH", b, off)
        if l < 4 or off + l > len(b):
            out.append(("BAD", b[off:].hex()))
            break
        p = b[off + 4: off + l]
        if t & 0x3fff == 8 and l == 12:
            p = b"<ts>"
        out.append((t, p.hex() if len(p) <= 64 else "%d:%x" % (len(p), zlib.crc32(p))))
        off += (l + 3) & ~3
    return out

def parse(d):
    out, off = [], 0
    while off + 16 <= len(d):
        ln, t, f, seq, pid = struct.unpack_from("IHHII", d, off)
        body = d[off + 16: off + ln]
        if t == 2:
            err = struct.unpack_from("i", body)[0]
            rh = struct.unpack_from("IHHII", body, 4)
            at = 20 if f & 0x100 else 20 + ((rh[0] - 16 + 3) & ~3)
            copy = "%x" % zlib.crc32(body[20:at])
            tl = [a if a[0] != 1 else (1, bytes.fromhex(a[1]).decode(errors="replace")) for a in attrs(body[at:])] if f & 0x200 else []
            out.append(("ERR", seq, pid, f, err, rh, copy, tl))
        elif t == 3:
            out.append(("DONE", seq, pid, f, body[:4].hex(), attrs(body[4:])))
        elif t == 0x10:
            out.append(("ECHO", seq, pid, f, ln, body.hex() if len(body) < 64 else zlib.crc32(body)))
        else:
            out.append((hex(t), seq, pid, f, ln, attrs(body)))
        off += (ln + 3) & ~3
    return out

def drain(s, tag):
    res = []
    while True:
        try:
            d = s.recv(1 << 20, socket.MSG_DONTWAIT)
        except BlockingIOError:
            break
        except OSError as e:
            res.append((tag, "OSERR", e.errno))
            continue
        res.append((tag, len(d), parse(d)))
    return res

socks = [sock(0x7000 + i, (), i & 1, i >> 1) for i in range(4)]
sub = sock(0x7010, (1, 5))
sub2 = sock(0x7011, (5, 7))
seq = 0
for i in range(N):
    d = b""
    for _ in range(r.choice([1, 1, 1, 2, 3, 6, 20, 64])):
        seq += 1
        d += gen(seq)
    if r.random() < 0.05:
        d += struct.pack("IHHII", 1000, 0x10, REQ | ACK, 0, 0)
    a = r.choice(socks)
    try:
        a.send(d)
        sent = "ok"
    except OSError as e:
        sent = "send errno %d" % e.errno
    print(i, socks.index(a), sent, drain(a, "A"), drain(sub, "S"), drain(sub2, "T"))
seq += 1
socks[0].send(msg(0x16, REQ, seq, b""))
print("final", drain(socks[0], "A"))
