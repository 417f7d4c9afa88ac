#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Least privilege (docs/SECURITY.md): a sealed tunnel started with `User = nobody` opens its
# adapter and sockets as root, then runs as nobody with CAP_NET_ADMIN alone (bounding set too),
# no_new_privs and not dumpable; traffic crosses; root may ask its status and nobody may not; it
# re-creates its deleted adapter with that one capability; a SIGHUP reload keeps the running key
# (root's, mode 0600, which nobody may not read) and its sessions while PrivateKeyFile is the
# same, and is refused, the tunnel carrying on, when PrivateKeyFile changes; its stale control
# socket is replaced by the next start. And the refusals before anything is opened: an unknown
# user, root as User, a key file owned by another user, by the User itself or readable by
# others, a control directory others may write; whatever the User could write and the next start
# as root would read: a configuration file it owns, a directory it owns or all may write on the
# way to the configuration or the key.
# B without User keeps CAP_NET_ADMIN alone as well. Under the systemd unit's bounding set (read
# from dist/systemd/tapkit-tunnel@.service, reproduced with setpriv) A drops to nobody and B ends
# with CAP_NET_ADMIN alone; the unit's former set (CAP_NET_ADMIN only) cannot drop. A PresharedKey
# with User: the file 0640 root:nogroup is read at start and by the dropped process on SIGHUP;
# made 0600, the reload is refused with the chgrp fix and the running configuration stays.
#
#   +------- $NA (A: User = nobody) -------+   veth 10.99.0.0/24   +------- $NB (B: root) -------+
#   | tka 10.250.7.1/24                    |<== sealed UDP 4789 ==>| tkb 10.250.7.2/24           |
#   +--------------------------------------+                       +-----------------------------+
#
# A runs in a private mount namespace whose /dev/net/tun is mode 0666 (the udev default): after
# the drop it can only re-create its adapter if nobody may open that node (CAP_NET_ADMIN does not
# bypass file permissions), and this machine's own node may be 0600.

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
id nobody >/dev/null 2>&1 || tk_skip "no user 'nobody' on this machine"
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
NOGROUP=$(id -gn nobody)
tun_sealed_setup pv 11 10.250.7 "User = nobody"

# tun_start_devnet NS ARGS...: tun_start inside a private mount namespace with a 0666 tun node.
tun_start_devnet()
{
	local ns=$1
	shift
	tk_spawn "$ns" unshare -m sh -c "$TK_DEVNET_SCRIPT" tk-devnet 0666 0 "$TAPKIT" --log-level info tunnel run "$@"
	tk_wait_line "$TK_PID" '^tunnel .* running' 15
}

# proc_field PID FIELD: the value of one line of /proc/PID/status ("Uid", "CapEff", ...).
proc_field()
{
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ +/, ""); gsub(/\t/, " "); print; exit }' "/proc/$1/status"
}

expect_proc()
{
	local got
	got=$(proc_field "$1" "$2")
	[[ $got == "$3" ]] || tk_fail "/proc/$1/status $2: expected '$3', got '$got'"
}

tk_case "--user nosuchuser: a usage error (exit 2) before anything is opened"
tk "$NA" tunnel run --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --control "$TK_TMP/x.sock" --user nosuchuser
expect_rc 2
expect_stderr 'no such user'
expect_stderr 'nosuchuser'
expect_no_link "$NA" tka
[[ ! -e $TK_TMP/x.sock ]] || tk_fail "a control socket was created for a refused --user"

tk_case "User = nosuchuser and User = root in a file: TK_E_CONFIG at FILE:LINE, nothing opened"
tun_sealed_conf x b 10.99.0.1 10.99.0.2 10.250.7.9/24 11 "User = nosuchuser"
tk "$NA" tunnel run --config "$TK_TMP/x.conf"
expect_error TK_E_CONFIG - 2
expect_stderr "$TK_TMP/x.conf:9"
expect_stderr 'no such user'
expect_no_link "$NA" tkx
tun_sealed_conf x b 10.99.0.1 10.99.0.2 10.250.7.9/24 11 "User = root"
tk "$NA" tunnel run --config "$TK_TMP/x.conf"
expect_error TK_E_CONFIG - 2
expect_stderr 'dropping to root keeps every privilege'
tk "$NA" tunnel run --config "$TK_TMP/a.conf" --user nobody
expect_rc 2
expect_stderr '--user cannot be combined with --config'

tk_case "a key file owned by another user (planted) or readable by others: refused, with the fix"
chown 12345 "$TK_TMP/b.key"
tk "$NB" tunnel run --config "$TK_TMP/b.conf"
expect_error TK_E_CONFIG - 2
expect_stderr 'owned by uid 12345'
expect_fix "chown root $TK_TMP/b.key"
chown 0 "$TK_TMP/b.key"
chmod 0640 "$TK_TMP/b.key"
tk "$NB" tunnel run --config "$TK_TMP/b.conf"
expect_error TK_E_CONFIG - 2
expect_fix "chmod 600 $TK_TMP/b.key"
chmod 0600 "$TK_TMP/b.key"
expect_no_link "$NB" tkb

tk_case "a key file owned by the User (nobody): refused at start, naming the file, the user and the fix"
chown nobody "$TK_TMP/a.key"
# bounded: a build that accepted the key would run the tunnel in the foreground
tk_exec "$NA" timeout 10 "$TAPKIT" tunnel run --config "$TK_TMP/a.conf"
expect_error TK_E_CONFIG - 2
expect_stderr "private key file $TK_TMP/a.key is owned by uid $NOBODY_UID, the User the tunnel drops to: refused"
expect_fix "chown root:root $TK_TMP/a.key; chmod 600 $TK_TMP/a.key"
expect_no_link "$NA" tka
chown 0 "$TK_TMP/a.key"

tk_case "a configuration file the User could write: its own, or in a directory it owns or all may write; the key's directory too: refused at start, with the fix"
chown nobody "$TK_TMP/a.conf"
tk_exec "$NA" timeout 10 "$TAPKIT" tunnel run --config "$TK_TMP/a.conf"
expect_error TK_E_CONFIG - 2
expect_stderr "configuration file $TK_TMP/a.conf is owned by uid $NOBODY_UID, the User the tunnel drops to"
expect_fix "chown root:root $TK_TMP/a.conf"
chown 0 "$TK_TMP/a.conf"
mkdir "$TK_TMP/nd"
sed "s#^PrivateKeyFile = a.key\$#PrivateKeyFile = $TK_TMP/a.key#" "$TK_TMP/a.conf" >"$TK_TMP/nd/a.conf"
chmod 0644 "$TK_TMP/nd/a.conf"
chown nobody "$TK_TMP/nd"
tk_exec "$NA" timeout 10 "$TAPKIT" tunnel run --config "$TK_TMP/nd/a.conf"
expect_error TK_E_CONFIG - 2
expect_stderr "configuration file $TK_TMP/nd/a.conf: directory $TK_TMP/nd is owned by uid $NOBODY_UID, the User the tunnel drops to: refused"
expect_fix "chown root $TK_TMP/nd"
chown 0 "$TK_TMP/nd"
chmod 0777 "$TK_TMP/nd"
tk_exec "$NA" timeout 10 "$TAPKIT" tunnel run --config "$TK_TMP/nd/a.conf"
expect_error TK_E_CONFIG - 2
expect_stderr "directory $TK_TMP/nd is writable by group or others (mode 0777)"
expect_fix "chmod go-w $TK_TMP/nd"
chmod 0755 "$TK_TMP/nd"
mkdir -m 0700 "$TK_TMP/nd/keys"
cp -p "$TK_TMP/a.key" "$TK_TMP/nd/keys/a.key"
sed -i "s#^PrivateKeyFile = .*#PrivateKeyFile = keys/a.key#" "$TK_TMP/nd/a.conf"
chown nobody "$TK_TMP/nd/keys"
tk_exec "$NA" timeout 10 "$TAPKIT" tunnel run --config "$TK_TMP/nd/a.conf"
expect_error TK_E_CONFIG - 2
expect_stderr "private key file $TK_TMP/nd/keys/a.key: directory $TK_TMP/nd/keys is owned by uid $NOBODY_UID"
expect_fix "chown root $TK_TMP/nd/keys"
expect_no_link "$NA" tka
rm -rf "$TK_TMP/nd"

tk_case "a control directory others may write, or owned by another user: refused, nothing opened"
mkdir -m 0777 "$TK_TMP/ww"
chmod 0777 "$TK_TMP/ww"
tk "$NB" tunnel run --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --control "$TK_TMP/ww/b.sock"
expect_error TK_E_CONFIG - 2
expect_stderr 'writable by group or others (mode 0777)'
expect_fix "chmod go-w $TK_TMP/ww"
chmod 0755 "$TK_TMP/ww"
chown nobody "$TK_TMP/ww"
tk "$NB" tunnel run --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --control "$TK_TMP/ww/b.sock"
expect_error TK_E_CONFIG - 2
expect_stderr "owned by uid $NOBODY_UID, not root"
expect_no_link "$NB" tkb
[[ ! -e $TK_TMP/ww/b.sock ]] || tk_fail "a socket was bound in a refused directory"

tk_case "A drops to nobody: ids, CAP_NET_ADMIN alone (effective, permitted, bounding), no_new_privs, not dumpable"
tun_start_devnet "$NA" --config "$TK_TMP/a.conf" --no-watch # SIGHUP alone
PA=$TK_PID
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
expect_proc "$PA" Uid "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID"
expect_proc "$PA" Gid "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID"
expect_proc "$PA" Groups "$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_proc "$PA" CapEff 0000000000001000
expect_proc "$PA" CapPrm 0000000000001000
expect_proc "$PA" CapBnd 0000000000001000
expect_proc "$PA" CapInh 0000000000000000
expect_proc "$PA" CapAmb 0000000000000000
expect_proc "$PA" NoNewPrivs 1
# a non-dumpable process's /proc entries belong to root, whoever it runs as
[[ $(stat -c %u "/proc/$PA/fd") == 0 ]] || tk_fail "/proc/$PA/fd: expected owner 0 (not dumpable), got $(stat -c %u "/proc/$PA/fd")"
grep -q "dropped to uid $NOBODY_UID gid $NOBODY_GID (nobody), keeping CAP_NET_ADMIN for adapter recovery" "$TK_TMP/$PA.err" ||
	{ TK_ERR=$(tk_bg_err "$PA") TK_LAST_CMD="tunnel A's log" tk_fail "no 'dropped to uid $NOBODY_UID ... keeping CAP_NET_ADMIN' line in A's log"; }

tk_case "B without User: still root, but CAP_NET_ADMIN alone (effective, permitted, bounding), no_new_privs (and not dumpable: a key is loaded)"
expect_proc "$PB" Uid "0 0 0 0"
expect_proc "$PB" NoNewPrivs 1
expect_proc "$PB" CapEff 0000000000001000
expect_proc "$PB" CapPrm 0000000000001000
expect_proc "$PB" CapBnd 0000000000001000
expect_proc "$PB" CapInh 0000000000000000

tk_case "traffic crosses the dropped tunnel"
tun_ping "$NA" 10.250.7.2
tun_ping "$NB" 10.250.7.1

tk_case "status: root is answered; nobody (the tunnel's own user) is refused with exit 3"
tun_status "$NA" "$SA"
expect_json tunnel.pid "$PA"
[[ $(stat -c '%u %a' "$SA") == "0 600" ]] || tk_fail "control socket: expected root's and mode 600, got $(stat -c '%u %a' "$SA")"
TK_SHOW="(setpriv nobody) tapkit tunnel status --control $SA" tk_exec "$NA" setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups "$(tk_unpriv_cli)" tunnel status --control "$SA"
expect_error TK_E_NO_PRIVILEGE - 3

tk_case "the adapter deleted: the dropped process re-creates it with CAP_NET_ADMIN, ping works again"
run "$NA" ip link del tka
tk_wait_until 15 "tka re-created" link_exists "$NA" tka
tun_ping_until "$NA" 10.250.7.2 15
tun_status "$NA" "$SA"
expect_json tunnel.adapter_reopens 1
ip -n "$NA" -o addr show dev tka | grep -q 10.250.7.1/24 || tk_fail "the re-created tka lacks 10.250.7.1/24"
expect_proc "$PA" Uid "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID"
expect_proc "$PA" CapEff 0000000000001000

tk_case "SIGHUP with the same PrivateKeyFile (root's, 0600): applied without reading the key; the session stays, frames cross"
[[ $(stat -c '%u %a' "$TK_TMP/a.key") == "0 600" ]] || tk_fail "a.key: expected root's and mode 600, got $(stat -c '%u %a' "$TK_TMP/a.key")"
tun_ping "$NB" 10.250.7.1
hs0=$(tun_json "$NA" "$SA" 'd["tunnel"]["peers"][0]["handshakes"]')
at0=$(tun_json "$NA" "$SA" 'd["tunnel"]["peers"][0]["last_handshake"]')
[[ $hs0 -ge 1 ]] || tk_fail "expected a completed handshake before the reload, got '$hs0'"
sed -i 's/^Address = .*/&\nAddress = 10.250.8.1\/24/' "$TK_TMP/a.conf"
kill -HUP "$PA"
tk_wait_value 5 "the reload applied" = 1 tun_json "$NA" "$SA" 'd["tunnel"]["reloads"]'
ip -n "$NA" -o addr show dev tka | grep -q 10.250.8.1/24 || tk_fail "the reloaded address 10.250.8.1/24 is not on tka (CAP_NET_ADMIN after the drop)"
tun_status "$NA" "$SA"
expect_json tunnel.reload_failures 0
# the same key, VNI and peer: the peer's session is kept (a new key would start it over)
expect_json tunnel.peers.0.handshakes "$hs0"
expect_json tunnel.peers.0.last_handshake "$at0"
tun_ping "$NA" 10.250.7.2
tun_ping "$NB" 10.250.7.1
tun_status "$NA" "$SA"
expect_json tunnel.peers.0.handshakes "$hs0"

tk_case "SIGHUP with another PrivateKeyFile after the drop: refused with the restart as the fix; the running configuration stays"
cp "$TK_TMP/a.conf" "$TK_TMP/a.good"
cp -p "$TK_TMP/a.key" "$TK_TMP/a2.key"
sed -i 's/^PrivateKeyFile = a.key$/PrivateKeyFile = a2.key/; s/^Address = 10.250.8.1\/24$/Address = 10.250.9.1\/24/' "$TK_TMP/a.conf"
kill -HUP "$PA"
tk_wait_until 5 "the rejection in A's log" grep -q "reload rejected: $TK_TMP/a.conf:[0-9]*: PrivateKeyFile changed ($TK_TMP/a2.key, running with $TK_TMP/a.key) while the tunnel runs as its User (uid $NOBODY_UID).*fix: restart the tunnel to use the new key; the running configuration stays" "$TK_TMP/$PA.err"
tun_status "$NA" "$SA"
expect_json tunnel.reload_failures 1
expect_json tunnel.reloads 1
ip -n "$NA" -o addr show dev tka | grep -q 10.250.8.1/24 || tk_fail "the running address 10.250.8.1/24 went away with a refused reload"
if ip -n "$NA" -o addr show dev tka | grep -q 10.250.9.1/24; then
	tk_fail "a refused reload added 10.250.9.1/24"
fi
tun_ping "$NA" 10.250.7.2
cp "$TK_TMP/a.good" "$TK_TMP/a.conf"

tk_case "SIGHUP with 60 more peers: their keys are locked in memory too (RLIMIT_MEMLOCK, after the drop); back to one unlocks them"
# AddressSanitizer's mlock is a no-op (it would pin the shadow memory): VmLck says nothing there
if grep -qs '^TK_SANITIZE:BOOL=ON' "$TK_BUILD_DIR/CMakeCache.txt" || grep -qa __asan_init "$TAPKIT"; then
	LOCK_CHECK=0
else
	LOCK_CHECK=1
fi
# each peer is ~1.5 KiB with its keys: 60 of them lock ~22 pages more; without the lock VmLck stays
lck0=$(proc_field "$PA" VmLck | awk '{print $1}')
[[ $LOCK_CHECK == 0 || ${lck0:-0} -gt 0 ]] || tk_fail "expected a sealed tunnel's keys locked at start (VmLck > 0 kB), got '${lck0:-}'"
cp "$TK_TMP/a.conf" "$TK_TMP/a.one"
for i in $(seq 100 159); do
	# endpoints on the underlay no one answers for: nothing leaves the two namespaces
	printf '\n[Peer]\nEndpoint = 10.99.0.%s:4789\nPublicKey = %s\n' "$i" "$("$TAPKIT" genkey | "$TAPKIT" pubkey)" >>"$TK_TMP/a.conf"
done
kill -HUP "$PA"
tk_wait_value 5 "the reload with 61 peers applied" = 2 tun_json "$NA" "$SA" 'd["tunnel"]["reloads"]'
lck1=$(proc_field "$PA" VmLck | awk '{print $1}')
[[ $LOCK_CHECK == 0 || $lck1 -ge $((lck0 + 80)) ]] || tk_fail "expected VmLck to grow by at least 80 kB for 60 more peers' keys, got $lck0 -> $lck1 kB"
if grep -q "cannot lock the peers' keys" "$TK_TMP/$PA.err"; then
	tk_fail "unexpected lock warning: $(grep "cannot lock" "$TK_TMP/$PA.err")"
fi
cp "$TK_TMP/a.one" "$TK_TMP/a.conf"
kill -HUP "$PA"
tk_wait_value 5 "the reload back to one peer applied" = 3 tun_json "$NA" "$SA" 'd["tunnel"]["reloads"]'
lck2=$(proc_field "$PA" VmLck | awk '{print $1}')
[[ $LOCK_CHECK == 0 || $lck2 -le $((lck0 + 8)) ]] || tk_fail "expected the 61 peers' pages unlocked when freed (VmLck back near $lck0 kB), got $lck2 kB"
tun_ping "$NA" 10.250.7.2

tk_case "SIGHUP moving to UDP port 999: the dropped process may not bind it; reload rejected, the tunnel carries on"
# the namespace's own sysctl, pinned at its default so the outcome does not depend on the host
run "$NA" sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
cp "$TK_TMP/a.conf" "$TK_TMP/a.good"
sed -i 's/^ListenAddress = 10.99.0.1:4789$/ListenAddress = 10.99.0.1:999/' "$TK_TMP/a.conf"
kill -HUP "$PA"
tk_wait_until 5 "the rejection in A's log" grep -q "reload rejected: .*not allowed to use UDP port 999" "$TK_TMP/$PA.err"
tun_ping "$NA" 10.250.7.2
tun_status "$NA" "$SA"
expect_json tunnel.reload_failures 2
expect_json tunnel.listen 10.99.0.1:4789
cp "$TK_TMP/a.good" "$TK_TMP/a.conf"

tk_case "SIGTERM: A cannot remove its socket (root's directory); the next start replaces the stale file"
tk_stop "$PA"
expect_rc 0
expect_no_link "$NA" tka
[[ -S $SA ]] || tk_fail "expected the stale control socket $SA to remain (the dropped process may not unlink it)"
tun_start_devnet "$NA" --config "$TK_TMP/a.conf"
PA=$TK_PID
tun_status "$NA" "$SA"
expect_json tunnel.pid "$PA"
tun_ping "$NA" 10.250.7.2

tk_case "--user nobody:$NOGROUP from flags (plain mode): the same drop"
tk_stop "$PA"
tk_stop "$PB"
tun_start_devnet "$NA" --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --vni 13 --addr 10.250.7.1/24 --control "$SA" --user "nobody:$NOGROUP"
PA=$TK_PID
tun_start "$NB" --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --vni 13 --addr 10.250.7.2/24 --control "$SB"
PB=$TK_PID
expect_proc "$PA" Uid "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID"
expect_proc "$PA" Groups "$NOBODY_GID"
expect_proc "$PA" CapEff 0000000000001000
expect_proc "$PA" NoNewPrivs 1
tun_ping "$NA" 10.250.7.2
tk_stop "$PA"
expect_rc 0

tk_case "a /dev/net/tun the User may not open (mode 0600): warned at the drop; a deleted adapter is then not re-created, the tunnel survives"
tk_spawn "$NA" unshare -m sh -c "$TK_DEVNET_SCRIPT" tk-devnet 0600 0 "$TAPKIT" --log-level info tunnel run --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --vni 13 --addr 10.250.7.1/24 --control "$SA" --user nobody
tk_wait_line "$TK_PID" '^tunnel .* running' 15
PA=$TK_PID
grep -q "uid $NOBODY_UID cannot open /dev/net/tun (Permission denied): if the adapter vanishes it cannot be re-created; fix: chmod 0666 /dev/net/tun" "$TK_TMP/$PA.err" ||
	{ TK_ERR=$(tk_bg_err "$PA") TK_LAST_CMD="tunnel A's log" tk_fail "no warning about /dev/net/tun at the drop"; }
tun_ping "$NA" 10.250.7.2
run "$NA" ip link del tka
tk_wait_until 20 "the failed reopen in A's log" grep -q "cannot reopen adapter tka" "$TK_TMP/$PA.err"
kill -0 "$PA" || tk_fail "the tunnel died when it could not re-create its adapter"
tun_status "$NA" "$SA"
expect_json tunnel.adapter_open false
tk_stop "$PA"
expect_rc 0
tk_stop "$PB"
expect_rc 0

tk_case "the systemd unit's bounding set (setpriv): A with User = nobody starts and drops; B without User ends with CAP_NET_ADMIN alone"
UNIT=$TK_SOURCE_DIR/dist/systemd/tapkit-tunnel@.service
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
[[ -n $caps ]] || tk_fail "no CapabilityBoundingSet= in $UNIT"
bset=-all
for c in $caps; do
	c=${c#CAP_}
	bset+=",+${c,,}"
done
# what systemd leaves a root service with NoNewPrivileges=yes and that bounding set
unit_caps=(setpriv "--bounding-set=$bset" --inh-caps=-all --no-new-privs)
tk_spawn "$NA" "${unit_caps[@]}" "$TAPKIT" --log-level info tunnel run --config "$TK_TMP/a.conf"
tk_wait_line "$TK_PID" '^tunnel .* running' 15
PA=$TK_PID
tk_spawn "$NB" "${unit_caps[@]}" "$TAPKIT" --log-level info tunnel run --config "$TK_TMP/b.conf"
tk_wait_line "$TK_PID" '^tunnel .* running' 15
PB=$TK_PID
expect_proc "$PA" Uid "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID"
for f in CapEff CapPrm CapBnd; do
	expect_proc "$PA" "$f" 0000000000001000
	expect_proc "$PB" "$f" 0000000000001000
done
expect_proc "$PB" Uid "0 0 0 0"
tun_ping_until "$NA" 10.250.7.2 15
tk_stop "$PA"
expect_rc 0
tk_stop "$PB"
expect_rc 0

tk_case "the unit's former bounding set (CAP_NET_ADMIN alone) cannot drop: refused with the fix, the tunnel does not run"
tk_exec "$NA" timeout 10 setpriv --bounding-set=-all,+net_admin --inh-caps=-all --no-new-privs "$TAPKIT" tunnel run --config "$TK_TMP/a.conf"
expect_error TK_E_NO_PRIVILEGE - 3
expect_fix "CapabilityBoundingSet"
expect_no_link "$NA" tka

tk_case "a PresharedKey with User: 0640 root:$NOGROUP read at start and by nobody on SIGHUP; 0600: the reload is refused with the fix, the running configuration stays"
psk=$("$TAPKIT" genkey)
for side in a b; do
	printf 'PresharedKey = %s\n' "$psk" >>"$TK_TMP/$side.conf"
done
chmod 0600 "$TK_TMP/b.conf"
chgrp "$NOBODY_GID" "$TK_TMP/a.conf"
chmod 0640 "$TK_TMP/a.conf"
tun_start "$NA" --config "$TK_TMP/a.conf" --no-watch
PA=$TK_PID
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
tun_ping_until "$NA" 10.250.7.2 15
sed -i 's/^Address = 10.250.7.1\/24$/&\nAddress = 10.250.10.1\/24/' "$TK_TMP/a.conf"
chgrp "$NOBODY_GID" "$TK_TMP/a.conf"
chmod 0640 "$TK_TMP/a.conf"
kill -HUP "$PA"
tk_wait_value 5 "the reload as nobody applied" = 1 tun_json "$NA" "$SA" 'd["tunnel"]["reloads"]'
ip -n "$NA" -o addr show dev tka | grep -q 10.250.10.1/24 || tk_fail "the reloaded address 10.250.10.1/24 is not on tka"
tun_ping "$NA" 10.250.7.2
chmod 0600 "$TK_TMP/a.conf"
sed -i 's/^Address = 10.250.10.1\/24$/Address = 10.250.11.1\/24/' "$TK_TMP/a.conf"
chmod 0600 "$TK_TMP/a.conf"
kill -HUP "$PA"
tk_wait_until 5 "the rejection in A's log" grep -q "reload rejected: $TK_TMP/a.conf: cannot open $TK_TMP/a.conf: Permission denied; fix: the tunnel runs as its User (uid $NOBODY_UID) since its start and re-reads the file as that user: let its group read it: chgrp $NOBODY_GID $TK_TMP/a.conf; chmod 640 $TK_TMP/a.conf" "$TK_TMP/$PA.err"
tun_status "$NA" "$SA"
expect_json tunnel.reload_failures 1
expect_json tunnel.reloads 1
if ip -n "$NA" -o addr show dev tka | grep -q 10.250.11.1/24; then
	tk_fail "a refused reload added 10.250.11.1/24"
fi
ip -n "$NA" -o addr show dev tka | grep -q 10.250.10.1/24 || tk_fail "the running address 10.250.10.1/24 went away with a refused reload"
tun_ping "$NA" 10.250.7.2
tk_stop "$PA"
expect_rc 0
tk_stop "$PB"
expect_rc 0
