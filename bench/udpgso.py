#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The benchmark's UDP GSO load: what a QUIC stack or wireguard-go sends, datagrams handed to
the kernel 40 at a time with UDP_SEGMENT.

    udpgso.py recv ADDR PORT SECONDS      prints "ready", then the UDP payload bytes received
                                          and the Gbit/s between the first and the last datagram
                                          (UDP_GRO on: the receiver is not the limit); it ends
                                          2 s after the last datagram, or after SECONDS + 10
    udpgso.py send ADDR PORT SECONDS SEG  sends 40 datagrams of SEG bytes per call, unpaced, for
                                          SECONDS (and at most 10 million calls); prints the
                                          bytes the kernel took

Every loop is bounded in time and count. Only to ADDR, an address of the run's own namespaces.
"""
import socket
import sys
import time

UDP_SEGMENT, UDP_GRO, SEGS = 103, 104, 40


def recv(addr, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.setsockopt(socket.IPPROTO_UDP, UDP_GRO, 1)
    s.bind((addr, port))
    s.settimeout(2)
    print("ready", flush=True)
    n, first, last, end = 0, None, None, time.monotonic() + secs + 10
    while time.monotonic() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            if first is not None:
                break
            continue
        last = time.monotonic()
        first = first or last
        n += len(d)
    gbps = n * 8 / 1e9 / (last - first) if first and last > first else 0.0
    print("received %d bytes, %.2f Gbit/s" % (n, gbps), flush=True)


def send(addr, port, secs, seg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((addr, port))
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, seg)
    buf = bytes(range(256)) * (seg * SEGS // 256 + 1)
    buf = buf[:seg * SEGS]
    n, calls, end = 0, 0, time.monotonic() + secs
    while time.monotonic() < end and calls < 10_000_000:
        calls += 1
        try:
            n += s.send(buf)
        except OSError:  # a full queue (ENOBUFS) or an ICMP error: keep going
            pass
    print("sent %d bytes" % n, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
