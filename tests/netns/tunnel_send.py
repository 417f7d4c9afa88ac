#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small datagram tool for the tunnel's netns tests, run inside a test namespace.

  capture --iface IF --port P --out FILE [--src IP] [--timeout S]
      saves the UDP payload of the first datagram to port P seen on IF (AF_PACKET).
  send --to IP:PORT --file FILE [--mutate OP,...] [--count N] [--bind IP]
      OP: flip (the tag's last bit), truncate:N, counter:N (a sealed datagram's counter)
      sends FILE's bytes (optionally altered) as UDP datagrams.
  vxlan --to IP:PORT --vni N [--count N] [--bind IP]
      sends VXLAN datagrams holding a broadcast Ethernet frame (ethertype 0x88b5) with VNI N.

Every loop is bounded by --count (at most 10000) and --timeout.
"""
import argparse
import base64
import hashlib
import os
import socket
import struct
import sys
import time


def endpoint(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def capture(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((a.iface, 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            continue
        ihl = (frame[14] & 0x0F) * 4
        src = socket.inet_ntoa(frame[26:30])
        udp = 14 + ihl
        dport = struct.unpack("!H", frame[udp + 2:udp + 4])[0]
        length = struct.unpack("!H", frame[udp + 4:udp + 6])[0]
        if dport != a.port or (a.src and src != a.src):
            continue
        with open(a.out, "wb") as f:
            f.write(frame[udp + 8:udp + length])
        return 0
    print("no datagram to port %d on %s within %ss" % (a.port, a.iface, a.timeout), file=sys.stderr)
    return 1


def sock(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.bind:
        host, _, port = a.bind.partition(":")
        s.bind((host, int(port or 0)))
    return s


def send(a):
    data = bytearray(open(a.file, "rb").read())
    for op in (a.mutate or "").split(","):
        if op == "flip":
            data[-1] ^= 0x01  # the last byte of the tag
        elif op.startswith("truncate:"):
            data = data[:int(op.split(":")[1])]
        elif op.startswith("counter:"):
            # a transport message's counter (bytes 8-15, little endian): a fresh one passes
            # the replay check, so what refuses the datagram is the tag
            data[8:16] = struct.pack("<Q", int(op.split(":")[1]))
    s = sock(a)
    for _ in range(min(a.count, 10000)):
        s.sendto(bytes(data), endpoint(a.to))
    return 0


def flood(a):
    """Forged initiations (type 1, 148 bytes) with a valid mac1 for the receiver's public key
    (anyone can compute it) and random everything else: bounded in count and time. Counts the
    cookie replies (type 3, 64 bytes) that come back to our socket."""
    pk = base64.b64decode(a.pubkey)
    mac1_key = hashlib.blake2s(a.label.encode() + pk).digest()
    s = sock(a)
    s.setblocking(False)
    sent = cookies = 0
    deadline = time.monotonic() + min(a.seconds, 30)
    while sent < min(a.count, 200000) and time.monotonic() < deadline:
        msg = b"\x01\x00\x00\x00" + os.urandom(112)
        msg += hashlib.blake2s(msg, digest_size=16, key=mac1_key).digest() + bytes(16)
        try:
            s.sendto(msg, endpoint(a.to))
            sent += 1
        except BlockingIOError:
            pass
        while True:
            try:
                r = s.recv(2048)
            except BlockingIOError:
                break
            if len(r) == 64 and r[:4] == b"\x03\x00\x00\x00":
                cookies += 1
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        try:
            r = s.recv(2048)
            if len(r) == 64 and r[:4] == b"\x03\x00\x00\x00":
                cookies += 1
        except BlockingIOError:
            time.sleep(0.01)
    print("sent=%d cookies=%d" % (sent, cookies), flush=True)
    return 0


def forge(a):
    """Transport messages (type 4) with random receiver indices, counters and contents."""
    s = sock(a)
    for _ in range(min(a.count, 10000)):
        s.sendto(b"\x04\x00\x00\x00" + os.urandom(12 + 16 + 64), endpoint(a.to))
    return 0


def vxlan(a):
    hdr = struct.pack("!B3xI", 0x08, a.vni << 8)
    eth = b"\xff" * 6 + b"\x02\x00\x00\x00\xee\x01" + b"\x88\xb5" + b"tapkit test frame".ljust(46, b".")
    s = sock(a)
    for _ in range(min(a.count, 10000)):
        s.sendto(hdr + eth, endpoint(a.to))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--iface", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--src")
    c.add_argument("--timeout", type=float, default=5)
    f = sub.add_parser("flood")
    f.add_argument("--to", required=True)
    f.add_argument("--pubkey", required=True)
    f.add_argument("--label", default="tk-mac1-")
    f.add_argument("--count", type=int, default=1000)
    f.add_argument("--seconds", type=float, default=5)
    f.add_argument("--bind")
    for name in ("send", "vxlan", "forge"):
        q = sub.add_parser(name)
        q.add_argument("--to", required=True)
        q.add_argument("--count", type=int, default=1)
        q.add_argument("--bind")
        if name == "send":
            q.add_argument("--file", required=True)
            q.add_argument("--mutate")
        elif name == "vxlan":
            q.add_argument("--vni", type=int, required=True)
    a = p.parse_args()
    return {"capture": capture, "send": send, "vxlan": vxlan, "flood": flood, "forge": forge}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
