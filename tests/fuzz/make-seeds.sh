#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Writes the fuzzers' seed corpora into tests/fuzz/corpus/<target>/: a few valid inputs and edge
# cases each (deterministic, a few KB in all). Run it by hand after changing a fuzzer's input
# format; `make fuzz` only reads these (it fuzzes a copy).
set -euo pipefail

out=${1:-$(dirname "$0")/corpus}

seed()
{
	# seed TARGET NAME: stdin becomes the file
	mkdir -p "$out/$1"
	cat >"$out/$1/$2"
}

# ---- vxlan: header (flags, reserved, VNI, reserved) + Ethernet frame ----
eth='\xff\xff\xff\xff\xff\xff\x02\x00\x5e\x10\x00\x01\x08\x06'
printf '\x08\x00\x00\x00\x00\x00\x01\x00%bpayload' "$eth" | seed vxlan vni1
printf '\x08\x00\x00\x00\xff\xff\xff\x00%b' "$eth" | seed vxlan vni-max-bare-frame
printf '\x88\xff\xff\xff\x00\x00\x01\xff%b' "$eth" | seed vxlan reserved-bits-set
printf '\x00\x00\x00\x00\x00\x00\x01\x00%b' "$eth" | seed vxlan no-i-flag
printf '\x08\x00\x00\x00\x00\x00\x01\x00\x02\x00' | seed vxlan truncated

# ---- seal: operations (fuzz_seal.c): op, flags, session, counter, frame length, bytes ----
# op 0 = seal+open; flags: 2 flip a byte, 8 cut short, 64 small buffer, bits 4-5 counter mode
printf '\x00\x00\x00\x00\x05\x10hello, frame bytes' | seed seal one-frame
printf '\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00' | seed seal replayed-counter
printf '\x00\x4a\x00\x00\x07\x00\x00\x10\x22\x01\x00\x00\x00\x00\x00' | seed seal flip-cut-small
# counters moving forward by small steps, then far behind (too old), then a later session
printf '\x00\x10\x01\x05\x00\x00\x10\x01\x40\x00\x00\x10\x01\xff\x00\x00\x20\x01\x07\xf0\x00\x00\x00\x02\x00\x00\x00' |
	seed seal window
# session order: newer accepted, older refused (REPLAY after it authenticates)
printf '\x00\x00\x02\x00\x01\x00\x00\x00\x01\x00\x01\x00\x00\x00\x03\x00\x01\x00' | seed seal sessions
# raw datagram with the right magic and a bad tag; wrong key; reset
{
	printf '\x04\x00\x50tk\x01\x01'
	head -c 76 /dev/zero
	printf '\x06\x00\x00\x00\x00\x00\x07'
} | seed seal raw-wrong-key-reset
printf '\x00\x30\x00\xff\xff\xff\xff\xff\xff\xff\xfe\x00\x00' | seed seal counter-max

# ---- tunnel_config ----
seed tunnel_config plain <<'CONF'
# a plain hub
[Interface]
Name = tk0
Mode = plain
VNI = 42
ListenPort = 4789
MTU = 1400
Address = 10.99.0.1/24
Address = fd99::1/64
MACTableSize = 1024
MACAge = 60
Forward = yes

[Peer]
Endpoint = 192.0.2.2:4789
AllowedMACs = 02:00:5e:10:00:02, 02:00:5e:10:00:03

[Peer]
Endpoint = [2001:db8::3]
CONF
seed tunnel_config sealed-missing-key <<'CONF'
[Interface]
Name = tk1
Mode = sealed
ListenAddress = 0.0.0.0:5000
PrivateKeyFile = missing.key
ControlSocket = /run/tapkit/x.sock

[Peer]
Endpoint = 192.0.2.9
PublicKey = qOX9WmIO3Y0k8rEeNyT8wpQxb5ZHtMHyUj8vKz2s4n0=
CONF
printf '[Interface]\r\nName=tk2\r\nListenAddress = [::1]:1\r\nListenPort = 2\r\n' | seed tunnel_config crlf-port-conflict
printf '[Interface]\nName = tk3\n[Peer]\nEndpoint = 10.0.0.1:0\n[Peer]\nEndpoint = 10.0.0.1:4789\n[Bogus]\n' |
	seed tunnel_config edge-cases

# ---- watch_config: the config, then (for the glob check) "pattern\nname" inputs ----
seed watch_config adapters <<'CONF'
[Adapter]
Match = tk* tap[0-9] vm?-net
Up = yes
MTU = 9000
Address = 10.1.0.1/24
Address = fd01::1/64
MAC = 02:00:5e:00:00:01
Master = br0

[Adapter]
Match = wg[!0-9]*
Up = no
CONF
printf '[Adapter]\nMatch = *\nMTU = 1279\nAddress = fd00::1/64\n' | seed watch_config ipv6-small-mtu
printf '[adapter]\n  match=tk0 ; comment\nup = true\n\n[Adapter]\n' | seed watch_config case-and-empty
printf 'tk*a?b\ntk-xyzaqb' | seed watch_config glob-star
printf '[]-]x\n]x' | seed watch_config glob-class
printf '[]-\x9a]x\n]x' | seed watch_config glob-unsigned-range # was a bug: signed bytes

# ---- addr: IP addresses, MACs, endpoints ----
for a in 10.0.0.1/30 0.0.0.0 255.255.255.255/0 fd00::1/64 :: ::ffff:192.0.2.1 \
	1:2:3:4:5:6:7:8 1::8/128 fe80::1:0:0:1 02:00:5e:10:00:01 02-00-5E-10-00-01 \
	ff:ff:ff:ff:ff:ff 192.0.2.1:4789 '[fd00::1]:65535' '10.0.0.01' '1:2:3:4:5:6:7::'; do
	printf '%s' "$a" | seed addr "$(printf '%s' "$a" | tr -c 'A-Za-z0-9.' _)"
done

# base64 keys: one valid, one with a byte >= 0x80 that libsodium 1.0.18 took for '/' (was a bug)
printf '  qOX9WmIO3Y0k8rEeNyT8wpQxb5ZHtMHyUj8vKz2s4n0=\n' | seed addr key
printf 'qOX9WmIO3Y0k8rEeNyT\xdawpQxb5ZHtMHyUj8vKz2s4n0=\n' | seed addr key-high-byte

# ---- cli_json: adapter names of odd bytes ----
printf 'tk0' | seed cli_json plain
printf 'a"b\\c\n\t\x01\x7f' | seed cli_json escapes
printf 'caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80' | seed cli_json utf8
printf '\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82' | seed cli_json invalid-utf8
printf '\xff\xfe\x80\xbf' | seed cli_json lone-bytes
head -c 300 /dev/zero | tr '\0' 'x' | seed cli_json long

# ---- cli_jread: the tunnel status documents of the unit tests, and JSON edge cases ----
for f in "$(dirname "$0")"/../unit/fixtures/tunnel/*.json; do
	name=$(basename "$f" .json)
	seed cli_jread "$name" <"$f"
done
printf '{"a":[1,-2,9223372036854775807,-9223372036854775808],"b":{"c":true,"d":null}}' | seed cli_jread types
printf '"\\u00e9\\ud83d\\ude00\\n\\"\xc3\xa9"' | seed cli_jread escapes
printf '[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]' | seed cli_jread deepest
printf '{"version":1,"tunnel":{"mode":"plain"' | seed cli_jread truncated

# ---- mactable: capacity, age, start clock (8 + shift), then operations ----
# ops: low 3 bits 0-2 learn, 3-4 lookup, 5 expire, 6 forget port, 7 flush; bits 3-4 clock step
printf '\x03\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x02\x01\x00\x03\x02\x00\x19\x01\x1d\x06\x01\x03\x00' |
	seed mactable small-table
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x05\x01\x03\x05' | seed mactable age-zero
printf '\x1f\xff\x7f\xff\xff\xff\xff\xff\xff\xff\x00\x00\x80\x01\x02\x03\x04\x05\x06\x01\x07\x00\x1d' |
	seed mactable random-macs-flush

# ---- offload: byte 0 odd = a built TCP super-frame (flags v6/vlan, TCP flags, payload size,
# segment size, sequence, pattern); even = raw virtio-net header + frame ----
printf '\x01\x00\x18\x13\x88\x05\x78\xff\xff\xf0\x00abcdefgh' | seed offload v4-5000-by-1400-wraps
printf '\x01\x03\x99\x27\x10\x02\x00\x00\x00\x00\x01xyz' | seed offload v6-vlan-cwr-fin
printf '\x01\x00\x10\x00\x00\x00\x01\x00\x00\x00\x01q' | seed offload empty-payload
{
	# raw: GSO TCPv4 header (size 100, NEEDS_CSUM at 34+16) + a 200-byte IPv4 TCP frame
	printf '\x00\x01\x01\x36\x00\x64\x00\x22\x00\x10\x00'
	printf '\x02\x00\x00\x00\x00\x0b\x02\x00\x00\x00\x00\x0a\x08\x00'
	printf '\x45\x00\x00\xba\x12\x34\x40\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02'
	printf '\x03\xe8\x13\x89\x00\x00\x00\x01\x00\x00\x00\x01\x50\x10\x01\x00\x00\x00\x00\x00'
	head -c 166 /dev/zero | tr '\0' 'p'
} | seed offload raw-gso-v4
printf '\x00\x01\x00\x00\x00\x00\x00\x00\x00\x06\x00\x02\x00\x00\x00\x00\x0b\x02\x00\x00\x00\x00\x0a\x08\x06' |
	seed offload raw-csum-arp

# ---- noise (fuzz_noise.c): op % 6 = initiate, respond, data, cookie, raw, time; then flags ----
# a session: initiation, response, a frame each way, a keepalive
printf '\x00\x00\x00\x01\x00\x02\x00\x05hello\x02\x01\x05world\x02\x00\x00' | seed noise session
# a flipped initiation (mac1 made right again), then a good one, a flipped response, data cut
printf '\x00\x03\x00\x00\x30\x01\x00\x00\x00\x01\x03\x00\x20\x01\x01\x00\x00\x02\x04\x08abcdefgh\x03' |
	seed noise flips-and-cuts
# a cookie round trip, time passing (more than REJECT_AFTER_TIME), data refused as expired
printf '\x00\x00\x00\x03\x00\x01\x00\x02\x00\x03abc\x05\x4e\x20\x05\x4e\x20\x02\x00\x03abc' |
	seed noise cookie-then-expiry
# raw messages of each type
printf '\x04\x20\x01\x00\x00\x00\x01\x02\x03\x04' | seed noise raw-initiation-prefix
printf '\x04\x20\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' | seed noise raw-transport

# ---- pe: Windows images (doctor --program), built byte by byte by tests/unit/test_pe.c:
# PE32+ with imports, delay imports and a manifest, PE32 with old-style delay imports, a
# resource tree pointing outside itself ----
if [[ -x ${TK_BUILD_DIR:-build}/tests/test_pe ]]; then
	mkdir -p "$out/pe"
	TK_PE_SEED_DIR="$out/pe" "${TK_BUILD_DIR:-build}/tests/test_pe" >/dev/null
else
	echo "make-seeds.sh: build tests/test_pe first (make) for the pe seeds" >&2
fi

# ---- recorded: byte 0 even = one event's XML, odd = a setupapi.dev.log text; from the
# committed fixtures (tests/unit/fixtures/windows/) ----
fixtures=$(dirname "$0")/../unit/fixtures/windows
mkdir -p "$out/recorded"
for f in "$fixtures"/*.xml; do
	{
		printf '\x00'
		head -c 3000 "$f"
	} | seed recorded "event-$(basename "$f" .xml)"
done
for f in "$fixtures"/setupapi-*.log; do
	{
		printf '\x01'
		cat "$f"
	} | seed recorded "$(basename "$f" .log)"
done
