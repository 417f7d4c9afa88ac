#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The Go binding's checks, offline (standard library only: GOPROXY=off): gofmt, go vet, the
# build without cgo (it must fail with the one readable message of nocgo.go), go test -race.
# cgo finds the library through pkg-config: BUILD_DIR/tapkit-uninstalled.pc (libtapkit.a and the
# source tree's include/). As root the tests run in a network namespace of their own (see
# tapkit_linux_test.go); without root the tests that need adapters are skipped.
# Usage: bindings/go/test.sh [BUILD_DIR]   (default: build). Exit 77 (skip) without Go.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-${TK_BUILD_DIR:-$here/../../build}}" && pwd) # relative to the caller
cd "$here"

if ! command -v go >/dev/null; then
	echo "SKIP: go missing (apt-get install golang-go)"
	exit 77
fi
[[ -f $BUILD/tapkit-uninstalled.pc && -f $BUILD/libtapkit.a ]] || {
	echo "FAIL: $BUILD has no tapkit-uninstalled.pc or libtapkit.a (configure and build first)" >&2
	exit 1
}
# shellcheck source=bindings/go/goenv.sh
source "$here/goenv.sh" "$BUILD"

unformatted=$(gofmt -l .)
if [[ -n $unformatted ]]; then
	echo "FAIL: gofmt -l: $unformatted (run gofmt -w bindings/go)"
	exit 1
fi
go vet ./...

# Without cgo the build fails with one error naming what to do, not "undefined: Cause".
if nocgo=$(CGO_ENABLED=0 go build . 2>&1); then
	echo "FAIL: the package built without cgo"
	exit 1
fi
if [[ $(grep -c 'undefined:' <<<"$nocgo") != 1 ]] ||
	! grep -q 'undefined: tapkit_needs_cgo__build_with_CGO_ENABLED_1' <<<"$nocgo"; then
	echo "FAIL: the build without cgo does not fail with nocgo.go's one message:"
	echo "$nocgo"
	exit 1
fi
echo "ok: without cgo: $(grep 'undefined:' <<<"$nocgo")"

# A module of someone else's that uses this one through a replace directive, exactly as
# README.md ("Getting it: the module") says, builds and runs.
cons=$(mktemp -d)
trap 'rm -rf "$cons"' EXIT
printf 'package main\n\nimport (\n\t"fmt"\n\n\ttapkit "github.com/tapkit/tapkit/bindings/go"\n)\n\nfunc main() { fmt.Println(tapkit.Version, tapkit.ErrAdapterBusy) }\n' >"$cons/main.go"
(
	cd "$cons"
	go mod init example.com/consumer >/dev/null 2>&1
	go mod edit -require=github.com/tapkit/tapkit/bindings/go@v0.1.0 \
		-replace=github.com/tapkit/tapkit/bindings/go="$here"
	out=$(go run .)
	[[ $out == "0.1.0 TK_E_ADAPTER_BUSY" ]] || { echo "FAIL: consumer module printed '$out'"; exit 1; }
	echo "ok: a consumer module with a replace directive builds and runs: $out"
)

timeout 600 go test -race -count=1 -v ./...
# Without the race detector (which allocates): Read and Write allocate nothing, and the echo
# benchmark still runs (200 frames: a smoke run, not a measurement; README.md has the figures).
timeout 300 go test -count=1 -v -run 'TestNoAllocs' -bench 'Echo' -benchtime 200x -benchmem .

# The example arpping (examples/arpping) in a network namespace of its own: it opens a TAP,
# gives the kernel's side 10.250.9.2/24 and answers ARP and ping for 10.250.9.1; the
# namespace's kernel stack pings it through the TAP. Root only (exit: the checks above stand).
if (($(id -u) != 0)); then
	echo "SKIP: examples/arpping needs root (a network namespace and a TAP)"
	exit 0
fi
go build -o "$BUILD/go/arpping" ./examples/arpping
ns=tkgoping$$
ip netns add "$ns"
trap 'rm -rf "$cons"; ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns exec "$ns" ip link set lo up
alog=$BUILD/go/arpping.log
ip netns exec "$ns" timeout 30 "$BUILD/go/arpping" -adapter tkping0 -ip 10.250.9.1 \
	-host 10.250.9.2/24 -count 3 >"$alog" 2>&1 &
apid=$!
for _ in $(seq 1 50); do
	grep -q 'kernel side' "$alog" && break
	sleep 0.1
done
if ! ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 10.250.9.1; then
	echo "FAIL: examples/arpping did not answer the namespace's ping; its output:"
	cat "$alog"
	exit 1
fi
wait "$apid" || { echo "FAIL: arpping exited $?"; cat "$alog"; exit 1; }
if ! grep -q '^ARP: who-has 10.250.9.1 tell 10.250.9.2: answered' "$alog" ||
	[[ $(grep -c '^ICMP: echo request from 10.250.9.2' "$alog") != 3 ]]; then
	echo "FAIL: arpping's output does not show the ARP and 3 pings it answered:"
	cat "$alog"
	exit 1
fi
echo "ok: examples/arpping answered ARP and 3 pings from the namespace's kernel:"
sed 's/^/    /' "$alog"
