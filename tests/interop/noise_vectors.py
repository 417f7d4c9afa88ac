#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Sealed mode v2 against an independent Noise implementation (dissononce).

Runs Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s in dissononce with fixed static, ephemeral and
preshared keys and a fixed TAI64N payload, and compares byte for byte with what tapkit's C code
makes from the same keys (tests/interop/noise_vector.c): the initiation and the response before
their macs, and one transport message each way (which only match if both derived the same
transport keys and format the nonce the same way). mac1 is checked with Python's own BLAKE2s
(hashlib, not OpenSSL). Both parameter sets: WireGuard's prologue and tapkit's identifier with a
VNI, each with an all-zero and a random preshared key.

usage: noise_vectors.py PATH/TO/noise_vector       exit 0 pass, 1 fail, 77 skip
"""
import hashlib
import os
import struct
import subprocess
import sys

try:
    from dissononce.processing.impl.handshakestate import HandshakeState
    from dissononce.processing.impl.symmetricstate import SymmetricState
    from dissononce.processing.impl.cipherstate import CipherState
    from dissononce.processing.handshakepatterns.interactive.IK import IKHandshakePattern
    from dissononce.processing.modifiers.psk import PSKPatternModifier
    from dissononce.cipher.chachapoly import ChaChaPolyCipher
    from dissononce.dh.x25519.x25519 import X25519DH
    from dissononce.dh.private import PrivateKey
    from dissononce.hash.blake2s import Blake2sHash
except ImportError as e:
    print("SKIP noise_vectors: dissononce is not installed (apt-get install python3-dissononce): %s" % e)
    sys.exit(77)

WG_ID = b"WireGuard v1 zx2c4 Jason@zx2c4.com"


def tapkit_id(vni):
    # docs/tunnel-crypto-v2.md: "tapkit sealed", the version byte 2, the VNI big endian
    return b"tapkit sealed" + bytes([2]) + struct.pack(">I", vni)


def tai64n(wall_ns):
    secs, nanos = divmod(wall_ns, 10**9)
    return struct.pack(">QI", 2**62 + 10 + secs, nanos & ~0xFFFFFF)


def clamp(k):
    b = bytearray(k)
    b[0] &= 248
    b[31] = (b[31] & 127) | 64
    return bytes(b)


class FixedDH(X25519DH):
    """X25519 whose next generated key pairs are the given private keys."""

    def __init__(self, ephemerals):
        super().__init__()
        self.ephemerals = list(ephemerals)

    def generate_keypair(self, privatekey=None):
        if privatekey is None:
            privatekey = PrivateKey(self.ephemerals.pop(0))
        return super().generate_keypair(privatekey)


def party(initiator, prologue, s, rs, e, psk):
    pattern = PSKPatternModifier(2).modify(IKHandshakePattern())
    hs = HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), Blake2sHash()), FixedDH([e]))
    dh = X25519DH()
    keypair = dh.generate_keypair(PrivateKey(s))
    hs.initialize(pattern, initiator, prologue, s=keypair, rs=dh.create_public(rs) if rs else None,
                  psks=[psk])
    assert hs.protocol_name == "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s", hs.protocol_name
    return hs


def pub(sk):
    return X25519DH().generate_keypair(PrivateKey(sk)).public.data


def expected(prologue, sk_i, sk_r, e_i, e_r, psk, wall, sender_i, sender_r, payload):
    pk_i, pk_r = pub(sk_i), pub(sk_r)
    ini = party(True, prologue, sk_i, pk_r, e_i, psk)
    rsp = party(False, prologue, sk_r, None, e_r, psk)  # IK: learns s from message 1
    m1 = bytearray()
    ini.write_message(tai64n(wall), m1)
    got = bytearray()
    rsp.read_message(bytes(m1), got)
    assert bytes(got) == tai64n(wall)
    m2 = bytearray()
    cs = rsp.write_message(b"", m2)
    r_recv, r_send = cs  # split(): (initiator -> responder, responder -> initiator)
    i_send, i_recv = ini.read_message(bytes(m2), bytearray())
    # WireGuard's framing around Noise's message bodies
    initiation = struct.pack("<II", 1, sender_i) + bytes(m1)
    response = struct.pack("<III", 2, sender_r, sender_i) + bytes(m2)
    data_i2r = struct.pack("<IIQ", 4, sender_r, 0) + i_send.encrypt_with_ad(b"", payload)
    data_r2i = struct.pack("<IIQ", 4, sender_i, 0) + r_send.encrypt_with_ad(b"", payload)
    return {
        "initiation": initiation,
        "response": response,
        "data_i2r": data_i2r,
        "data_r2i": data_r2i,
        "pk_i": pk_i,
        "pk_r": pk_r,
    }


def mac1(label, receiver_pk, msg_before_mac1):
    key = hashlib.blake2s(label + receiver_pk).digest()
    return hashlib.blake2s(msg_before_mac1, key=key, digest_size=16).digest()


def run(helper, name, prologue, label, param, psk):
    sk_i, sk_r = clamp(os.urandom(32)), clamp(os.urandom(32))
    e_i, e_r = clamp(os.urandom(32)), clamp(os.urandom(32))
    wall = 1767225600 * 10**9 + 123456789
    out = subprocess.run(
        [helper, param] + [k.hex() for k in (sk_i, sk_r, e_i, e_r, psk)] + [str(wall)],
        check=True, capture_output=True, text=True).stdout
    got = {k: bytes.fromhex(v) for k, v in (line.split() for line in out.splitlines())}
    want = expected(prologue, sk_i, sk_r, e_i, e_r, psk, wall, 0x11223344, 0x55667788,
                    b"tapkit vector")
    failed = False
    for k in ("initiation", "response", "data_i2r", "data_r2i"):
        ok = got[k] == want[k]
        failed |= not ok
        print("%s %-10s %s" % ("ok  " if ok else "FAIL", k, name))
        if not ok:
            print("  tapkit:     %s\n  dissononce: %s" % (got[k].hex(), want[k].hex()))
    for k, pk in (("initiation", want["pk_r"]), ("response", want["pk_i"])):
        full = got[k + "_full"]
        ok = full[-32:-16] == mac1(label, pk, full[:-32]) and full[-16:] == bytes(16)
        failed |= not ok
        print("%s %-10s %s (hashlib BLAKE2s)" % ("ok  " if ok else "FAIL", k + " mac1", name))
    return not failed


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    helper = sys.argv[1]
    ok = True
    for psk_name, psk in (("no psk", bytes(32)), ("psk", os.urandom(32))):
        ok &= run(helper, "WireGuard identifiers, " + psk_name, WG_ID, b"mac1----", "wg", psk)
        ok &= run(helper, "tapkit VNI 4242, " + psk_name, tapkit_id(4242), b"tk-mac1-", "4242", psk)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
