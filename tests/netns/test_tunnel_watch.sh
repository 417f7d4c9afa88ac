#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The daemon watches its --config file (inotify on the file's directory, debounced) and reloads
# it on a change, as on SIGHUP: an editor's rename-replace that adds the right peer makes the
# tunnel carry frames to it; a burst of writes is one reload; a broken edit is refused with a
# log line naming FILE:LINE while the tunnel keeps running on the old configuration; a fixed
# file is taken again; and with --no-watch a change does nothing until SIGHUP.
#
#   +------- $NA -------+   veth 10.99.0.0/24   +------- $NB -------+
#   | wa 10.250.11.1/24 |<==== UDP 4789 =====>| wb 10.250.11.2/24 |
#   +-------------------+                       +-------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tk_ns_new NA wta
tk_ns_new NB wtb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
mkdir -p "$TK_TMP/etc"
SA=$TK_TMP/a.sock
SB=$TK_TMP/b.sock

# conf ME ADDR[,ADDR] PEER...: a plain configuration for tunnel ME with these peer endpoints
conf()
{
	local me=$1 addrs=$2 p a
	shift 2
	printf '[Interface]\nName = w%s\nVNI = 11\nListenAddress = %s:4789\nControlSocket = %s\n' \
		"$me" "$([[ $me == a ]] && echo 10.99.0.1 || echo 10.99.0.2)" "$TK_TMP/$me.sock"
	for a in ${addrs//,/ }; do
		printf 'Address = %s\n' "$a"
	done
	for p in "$@"; do
		printf '\n[Peer]\nEndpoint = %s:4789\n' "$p"
	done
}

# a_json EXPR: over A's status document
a_json()
{
	tun_json "$NA" "$SA" "$1"
}

# A starts with a peer nobody answers for (an address on the underlay no namespace has)
conf a 10.250.11.1/24 10.99.0.9 >"$TK_TMP/etc/a.conf"
conf b 10.250.11.2/24 10.99.0.1 >"$TK_TMP/b.conf"
tun_start "$NA" --config "$TK_TMP/etc/a.conf"
PA=$TK_PID
tun_start "$NB" --config "$TK_TMP/b.conf" --no-watch
PB=$TK_PID

tk_case "A's only peer is not B: no ping"
if ip netns exec "$NA" ping -c 1 -W 1 10.250.11.2 >/dev/null 2>&1; then
	tk_fail "ping crossed a tunnel without B as peer (the test proves nothing)"
fi

tk_case "an editor's rename-replace adds B as peer: reloaded once, frames go to B"
conf a 10.250.11.1/24 10.99.0.9 10.99.0.2 >"$TK_TMP/etc/.a.conf.swp"
mv "$TK_TMP/etc/.a.conf.swp" "$TK_TMP/etc/a.conf"
tk_wait_value 5 "the reload" = 1 a_json 'd["tunnel"]["reloads"]'
[[ $(a_json '[p["endpoint"] for p in d["tunnel"]["peers"]]') == "['10.99.0.9:4789', '10.99.0.2:4789']" ]] ||
	tk_fail "A's peers after the edit: $(a_json '[p["endpoint"] for p in d["tunnel"]["peers"]]')"
tun_ping_until "$NA" 10.250.11.2 10
tk_wait_until 5 "the change in A's log" grep -q "the configuration file changed: reading $TK_TMP/etc/a.conf" "$TK_TMP/$PA.err"

tk_case "a burst of writes in place (three within 100 ms): one reload, after the last"
conf a 10.250.11.1/24 10.99.0.2 >"$TK_TMP/a.next"
for i in 1 2 3; do
	cp "$TK_TMP/a.next" "$TK_TMP/etc/a.conf"
	sleep 0.03
done
tk_wait_value 5 "the reload" = 2 a_json 'd["tunnel"]["reloads"]'
sleep 1 # a debounce that did not hold would reload again within this second
[[ $(a_json 'd["tunnel"]["reloads"]') == 2 ]] || tk_fail "expected one reload for the burst, got $(a_json 'd["tunnel"]["reloads"]') in all"
[[ $(a_json 'len(d["tunnel"]["peers"])') == 1 ]] || tk_fail "expected B alone as A's peer after the burst"
tun_ping "$NA" 10.250.11.2

tk_case "a broken edit: refused with FILE:LINE in the log, the running configuration stays"
cp "$TK_TMP/etc/a.conf" "$TK_TMP/a.good"
printf 'Bogus = 1\n' >>"$TK_TMP/etc/a.conf"
line=$(wc -l <"$TK_TMP/etc/a.conf")
tk_wait_until 5 "the rejection in A's log" grep -q "reload rejected: $TK_TMP/etc/a.conf:$line" "$TK_TMP/$PA.err"
kill -0 "$PA" || tk_fail "A died on a broken file"
tun_ping "$NA" 10.250.11.2
tun_status "$NA" "$SA"
expect_json tunnel.reload_failures 1
expect_json tunnel.reloads 2
expect_json tunnel.peers.0.endpoint 10.99.0.2:4789

tk_case "the file fixed (a second address): taken"
conf a 10.250.11.1/24,10.250.12.1/24 10.99.0.2 >"$TK_TMP/etc/a.conf"
tk_wait_value 5 "the reload" = 3 a_json 'd["tunnel"]["reloads"]'
tk_wait_until 5 "10.250.12.1/24 on wa" sh -c "ip -n '$NA' -o addr show dev wa | grep -q 10.250.12.1/24"
tun_ping "$NA" 10.250.11.2

tk_case "--no-watch (B): a change does nothing until SIGHUP"
conf b 10.250.11.2/24,10.250.12.2/24 10.99.0.1 >"$TK_TMP/b.conf"
sleep 1.5 # six debounce periods
[[ $(tun_json "$NB" "$SB" 'd["tunnel"]["reloads"]') == 0 ]] || tk_fail "B reloaded a changed file under --no-watch"
if ip -n "$NB" -o addr show dev wb | grep -q 10.250.12.2/24; then tk_fail "B took the new address under --no-watch"; fi
kill -HUP "$PB"
tk_wait_value 5 "B's SIGHUP reload" = 1 tun_json "$NB" "$SB" 'd["tunnel"]["reloads"]'
ip -n "$NB" -o addr show dev wb | grep -q 10.250.12.2/24 || tk_fail "B lacks 10.250.12.2/24 after SIGHUP"
tun_ping "$NA" 10.250.12.2

tk_case "status as text, rendered by the client from the daemon's document"
tk_ok "$NA" tunnel status --control "$SA"
[[ $TK_OUT == *"tunnel wa (pid $PA): mode plain, vni 11, listening on 10.99.0.1:4789"* ]] || tk_fail "text status: first line"
[[ $TK_OUT == *"  config:      $TK_TMP/etc/a.conf (reloaded 3, rejected 1)"* ]] || tk_fail "text status: config line"
[[ $TK_OUT == *$'\npeer 10.99.0.2:4789\n'* && $TK_OUT == *"MAC table: "* ]] || tk_fail "text status: peer and MAC table"

tk_stop "$PA"
expect_rc 0
tk_stop "$PB"
expect_rc 0
