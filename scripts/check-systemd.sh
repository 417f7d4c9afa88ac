#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Checks the systemd units in dist/systemd/ without installing or starting them (this also works
# in a container without systemd as PID 1):
#   1. the hardening the units promise is there (each directive, exactly);
#   2. `systemd-analyze verify` prints nothing: syntax, unknown keys, bad values, the ExecStart
#      and ExecReload binaries (ExecStart pointed at BUILD_DIR/tapkit) and the Documentation=
#      man pages (MANPATH pointed at the pages BUILD_DIR/man holds);
#   3. `systemd-analyze security --offline` rates each unit's exposure at most 3.0 ("OK");
#   4. as root: the tunnel's ExecStart runs with what the unit leaves it (its bounding set,
#      CAP_NET_ADMIN and the drop's CAP_SETUID CAP_SETGID CAP_SETPCAP, no new privileges, a 0700
#      runtime directory made beforehand, as RuntimeDirectory= does): it starts, keeps
#      CAP_NET_ADMIN alone (no User: it gives up the others itself), answers `tunnel status`,
#      survives SIGHUP (ExecReload) and stops on SIGTERM. In a network namespace of its own,
#      traffic to 127.0.0.1 only. (tests/netns/test_tunnel_privilege.sh runs User = nobody so.)
# Usage: scripts/check-systemd.sh [BUILD_DIR]   (default: build). Exit 77 (skip) without
# systemd-analyze (Debian package systemd).
set -euo pipefail
export LC_ALL=C.UTF-8 SYSTEMD_COLORS=0

cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-${TK_BUILD_DIR:-build}}" && pwd)

if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: systemd-analyze missing (apt-get install systemd)"
	exit 77
fi
[[ -x $BUILD/tapkit ]] || {
	echo "FAIL: $BUILD/tapkit not built" >&2
	exit 1
}

tmp=$(mktemp -d /tmp/tk-check-systemd.XXXXXX)
ns=tksd$$
tunnel_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	[[ -z $tunnel_pid ]] || kill "$tunnel_pid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0

fail()
{
	echo "FAIL: $*"
	failed=1
}

# 1. Hardening, unit by unit.
# shellcheck disable=SC2016 # $MAINPID is systemd's, not the shell's
common=(NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes
	'ExecReload=/bin/kill -HUP $MAINPID'
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' Restart=on-failure
	ProtectKernelModules=yes ProtectKernelTunables=yes SystemCallArchitectures=native)
# the tunnel: the drop to User needs CAP_SETUID CAP_SETGID CAP_SETPCAP (the tunnel gives them up)
tunnel=("${common[@]}" 'ExecStart=/usr/bin/tapkit tunnel run --config /etc/tapkit/%i.conf'
	'CapabilityBoundingSet=CAP_NET_ADMIN CAP_SETUID CAP_SETGID CAP_SETPCAP'
	RuntimeDirectory=tapkit RuntimeDirectoryMode=0700 RuntimeDirectoryPreserve=yes
	'DeviceAllow=/dev/net/tun rw' DevicePolicy=closed)
watch=("${common[@]}" 'ExecStart=/usr/bin/tapkit watch --config /etc/tapkit/watch.conf'
	CapabilityBoundingSet=CAP_NET_ADMIN PrivateDevices=yes)
check_lines()
{
	local unit=$1 line
	shift
	for line in "$@"; do
		grep -qxF -- "$line" "$unit" || fail "$unit lacks the line: $line"
	done
	# Root with CAP_NET_ADMIN in the bounding set needs no ambient capability; a unit that
	# grants one without a User= would widen nothing but says it needs one.
	if grep -q '^AmbientCapabilities=' "$unit" && ! grep -q '^User=' "$unit"; then
		fail "$unit: AmbientCapabilities without User="
	fi
	echo "ok: $unit hardening"
}
check_lines dist/systemd/tapkit-tunnel@.service "${tunnel[@]}"
check_lines dist/systemd/tapkit-watch.service "${watch[@]}"

# 2. verify, on copies whose ExecStart names the built binary; an instance of the template.
mkdir -p "$tmp/units" "$tmp/man/man5" "$tmp/man/man8"
sed "s|/usr/bin/tapkit|$BUILD/tapkit|" dist/systemd/tapkit-watch.service >"$tmp/units/tapkit-watch.service"
sed "s|/usr/bin/tapkit|$BUILD/tapkit|" dist/systemd/tapkit-tunnel@.service >"$tmp/units/tapkit-tunnel@.service"
cp "$tmp/units/tapkit-tunnel@.service" "$tmp/units/tapkit-tunnel@tap0.service"
man_opt=--man=no
if [[ -f $BUILD/man/tapkit.8 && -f $BUILD/man/tapkit.conf.5 ]] && command -v man >/dev/null; then
	cp "$BUILD/man/tapkit.8" "$tmp/man/man8/"
	cp "$BUILD/man/tapkit.conf.5" "$tmp/man/man5/"
	man_opt=--man=yes
else
	echo "note: man pages not built (scdoc missing?): Documentation= not checked"
fi
for u in tapkit-watch.service tapkit-tunnel@.service tapkit-tunnel@tap0.service; do
	# verify exits 0 on most findings; any output is a finding.
	out=$(MANPATH=$tmp/man systemd-analyze verify "$man_opt" "$tmp/units/$u" 2>&1) || fail "$u: systemd-analyze verify exited $?"
	if [[ -n $out ]]; then
		fail "$u: systemd-analyze verify:"
		printf '%s\n' "$out"
	else
		echo "ok: $u verify"
	fi
done

# 3. Exposure (0 safest .. 10); --threshold is on a 0..100 scale.
for u in tapkit-watch.service tapkit-tunnel@tap0.service; do
	if out=$(systemd-analyze security --offline=true --threshold=30 "$tmp/units/$u" 2>&1); then
		echo "ok: $u $(grep -o 'exposure level.*' <<<"$out")"
	else
		fail "$u: exposure above 3.0:"
		grep -E '^✗|exposure' <<<"$out"
	fi
done
# 4. The tunnel under the unit's restrictions (setpriv stands in for systemd).
if [[ $EUID -ne 0 ]] || ! command -v ip >/dev/null || ! command -v setpriv >/dev/null ||
	[[ ! -c /dev/net/tun ]]; then
	echo "note: not root, or no ip/setpriv//dev/net/tun: the restricted tunnel run is left out"
	exit "$failed"
fi
ip netns add "$ns"
ip -n "$ns" link set lo up
mkdir -m 0700 "$tmp/run"
cat >"$tmp/tksd0.conf" <<CONF
[Interface]
Name = tksd0
ListenAddress = 127.0.0.1:4789
ControlSocket = $tmp/run/tunnel-tksd0.sock
Address = 10.252.0.1/24

[Peer]
Endpoint = 127.0.0.1:4790
CONF
# shellcheck disable=SC2054 # the commas belong to --bounding-set's value
restricted=(setpriv --bounding-set=-all,+net_admin,+setuid,+setgid,+setpcap --inh-caps=-all
	--no-new-privs)
ip netns exec "$ns" "${restricted[@]}" "$BUILD/tapkit" tunnel run --config "$tmp/tksd0.conf" \
	>"$tmp/tunnel.out" 2>&1 &
tunnel_pid=$!
for _ in $(seq 50); do
	grep -q '^tunnel tksd0 running' "$tmp/tunnel.out" && break
	kill -0 "$tunnel_pid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q '^tunnel tksd0 running' "$tmp/tunnel.out"; then
	fail "the tunnel did not start with only CAP_NET_ADMIN:"
	cat "$tmp/tunnel.out"
	exit 1
fi
for f in CapEff CapPrm CapBnd; do
	v=$(awk -v f="$f:" '$1 == f { print $2 }' "/proc/$tunnel_pid/status")
	[[ $v == 0000000000001000 ]] || fail "the running tunnel's $f is $v, not CAP_NET_ADMIN alone (0000000000001000)"
done
status=$(ip netns exec "$ns" "${restricted[@]}" "$BUILD/tapkit" tunnel status \
	--control "$tmp/run/tunnel-tksd0.sock" 2>&1) || fail "tunnel status: $status"
grep -q '^tunnel tksd0 ' <<<"$status" || fail "tunnel status printed: $status"
kill -HUP "$tunnel_pid"
sleep 0.3
kill -0 "$tunnel_pid" 2>/dev/null || fail "the tunnel died on SIGHUP (ExecReload)"
kill -TERM "$tunnel_pid"
rc=0
wait "$tunnel_pid" || rc=$?
tunnel_pid=
[[ $rc -eq 0 ]] || fail "the tunnel exited $rc on SIGTERM"
if ip -n "$ns" link show tksd0 >/dev/null 2>&1; then
	fail "tksd0 still there after the tunnel stopped"
fi
[[ $failed -ne 0 ]] || echo "ok: tunnel run/status/reload/stop under the unit's bounding set, CAP_NET_ADMIN alone once started"
exit "$failed"
