#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# windows.driver.signature as far as Wine's wintrust goes: tap0901.sys replaced by an unsigned
# PE (TRUST_E_NOSIGNATURE: never loads, a failure whatever the rules), by the same PE signed
# with a self-signed certificate (osslsigncode; Wine calls it trusted, the doctor reads the
# chain, classifies it as a test certificate and says that this host cannot tell whether Windows
# would load it: skipped, not ok), and by that signed file with one byte changed
# (TRUST_E_BAD_DIGEST: modified). The decision for every combination of signature and rules is
# unit-tested (tests/unit/test_win_signature.c).
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
for tool in osslsigncode openssl x86_64-w64-mingw32-gcc; do
	command -v $tool >/dev/null || { echo "$(basename "$0"): needs $tool (setup.sh installs it)"; exit 1; }
done
work=$(mktemp -d /tmp/tk-sig.XXXXXX)
trap 'rm -rf "$work"; wine_end' EXIT
x86_64-w64-mingw32-gcc -O1 -o "$work/unsigned.sys" "$(dirname "$0")/programs/prog.c"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
	-subj "/CN=tapkit test driver signer/O=tapkit tests" >/dev/null 2>&1
osslsigncode sign -certs "$work/cert.pem" -key "$work/key.pem" -n "tap0901 test" \
	-in "$work/unsigned.sys" -out "$work/signed.sys" >/dev/null
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[0x1010] ^= 0xff; open(sys.argv[2], "wb").write(b)' \
	"$work/signed.sys" "$work/tampered.sys"
wine_begin
trap 'rm -rf "$work"; wine_end' EXIT
sys=$WINEPREFIX/drive_c/windows/system32/drivers
wine sc create tap0901 type= kernel start= demand binPath= 'C:\windows\system32\drivers\tap0901.sys' >/dev/null
sig() { # FILE: installs it as tap0901.sys and runs doctor until the signature check ran
	cp "$work/$1" "$sys/tap0901.sys"
	doctor_until '"id":"windows.driver.signature","title":"the driver'"'"'s signature and the signing rules","object":"tap0901","status":"'
	for _ in 1 2 3 4 5; do
		grep -q '"skipped_because":"windows.driver' <<<"$out" || return 0
		sleep 1
		tk doctor --json
	done
}
field() { # KEY: the signature check's evidence value
	python3 -c 'import json, sys; print([c for c in json.loads(sys.argv[1])["checks"] if c["id"] == "windows.driver.signature"][0]["evidence"].get(sys.argv[2], ""))' "$out" "$1"
}

sig unsigned.sys
doctor_check windows.driver.signature tap0901 fail TK_E_DRIVER_UNSIGNED
check "unsigned: WinVerifyTrust says TRUST_E_NOSIGNATURE" grep -q '^0x800b0100 (unsigned)' <<<"$(field file_trust)"

sig signed.sys
expect "self-signed: skipped because Wine cannot tell whether Windows would load it" \
	"any(c['id'] == 'windows.driver.signature' and c['status'] == 'skipped' and c['skipped_because'] == 'wine' and 'cannot tell' in c['summary'] for c in d['checks'])"
check "self-signed: the signer is read from the chain" test "$(field file_chain)" = "tapkit test driver signer"
check "self-signed: classified as a test certificate" test "$(field signature)" = "test certificate"

sig tampered.sys
doctor_check windows.driver.signature tap0901 fail TK_E_DRIVER_UNSIGNED
check "modified: WinVerifyTrust says TRUST_E_BAD_DIGEST" grep -q '^0x80096010' <<<"$(field file_trust)"
finish
