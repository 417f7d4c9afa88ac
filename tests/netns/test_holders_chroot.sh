#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Holders seen from a root entered with plain chroot (a build root, a rescue system): /dev, /proc,
# /sys, /usr, /etc and /run/netns bind-mounted into a directory, and every command run as
# `chroot ROOT ip netns exec NS tapkit ...`. There, /proc/PID/fd/N of another process does not
# read "/dev/net/tun": `ip netns exec` gives each command a mount namespace of its own, and a
# descriptor opened in another one is shown with the path from the real root,
# "/tmp/.../root/dev/net/tun". The holder scan must recognise the descriptor by what it is (the
# character device 10:200) and its adapter by fdinfo's "iff:" line, not by the link's text.
#
#   ROOT = /tmp/tk<pid>-chroot.XXXXXX (bind mounts, only in this test's own mount namespace)
#   +---------------- $NS ----------------+
#   |  c0 (tap) <== tapkit open c0 (bg, in ROOT)      |
#   |  m0 (tap, multi-queue) <== 2 queues (in ROOT)   |
#   +--------------------------------------+

# The bind mounts live in a mount namespace of this test's own (private propagation): nobody else
# ever sees them, and they are gone when the test's last process ends.
if [[ $EUID -eq 0 && -z ${TK_CHROOT_MNTNS:-} ]] && command -v unshare >/dev/null; then
	TK_CHROOT_MNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
command -v chroot >/dev/null || tk_skip "needs chroot (coreutils)"
[[ -n ${TK_CHROOT_MNTNS:-} ]] || tk_skip "could not enter a mount namespace of its own (unshare -m)"

tk_ns_new NS chroot
ROOT=$(mktemp -d "/tmp/${TK_PREFIX}-chroot.XXXXXX")
# (run/netns after tk_ns_new and recursive: NS's own mount on /run/netns/NAME comes along)
BINDS=(usr etc dev proc sys run/netns)
# Never a recursive delete in ROOT: bind mounts of /usr and /dev are in it. The mounts go first;
# then only what this test made there, entry by entry, so a mount that would not go is left
# alone rather than emptied.
chroot_cleanup()
{
	local rc=$? d
	set +e
	for ((d = ${#BINDS[@]} - 1; d >= 0; d--)); do
		umount -l "$ROOT/${BINDS[$d]}" 2>/dev/null
	done
	umount -l "$ROOT" 2>/dev/null
	rm -f "$ROOT/tk/tapkit" "$ROOT/bin" "$ROOT/sbin" "$ROOT/lib" "$ROOT/lib64" "$ROOT/var/run"
	for d in run/netns run var tk "${BINDS[@]}"; do
		rmdir "$ROOT/$d" 2>/dev/null
	done
	rmdir "$ROOT"
	(exit "$rc")
	tk_cleanup
}
trap chroot_cleanup EXIT

# The root a mount point of its own, as `ip netns exec` (mount --make-rslave /) needs.
mount --bind "$ROOT" "$ROOT" || tk_fail "set-up: mount --bind $ROOT $ROOT"
for d in "${BINDS[@]}"; do
	mkdir -p "$ROOT/$d"
	mount --rbind "/$d" "$ROOT/$d" || tk_fail "set-up: mount --rbind /$d $ROOT/$d"
done
for d in bin sbin lib lib64; do
	[[ -L /$d ]] && ln -s "$(readlink "/$d")" "$ROOT/$d"
done
mkdir -p "$ROOT/var" "$ROOT/tk"
ln -s /run "$ROOT/var/run" # ip netns reads /var/run/netns
install -m 0755 "$TAPKIT" "$ROOT/tk/tapkit"

# ct ARGS...: the CLI in the chroot, in NS through an `ip netns exec` of its own there (which
# mounts NS's /sys in the chroot), like tk (whose `ip netns exec` around it changes nothing).
ct()
{
	TK_SHOW="(chroot) ip netns exec $NS tapkit $*" tk_exec "$NS" chroot "$ROOT" ip netns exec "$NS" /tk/tapkit "$@"
}

# ct_bg ARGS...: the CLI in the background in the chroot, in NS.
ct_bg()
{
	tk_spawn host chroot "$ROOT" ip netns exec "$NS" /tk/tapkit "$@"
}

ct create c0
expect_rc 0

tk_case "in the chroot, another command's tun descriptor does not read /dev/net/tun"
ct_bg open c0
holder=$TK_PID
tk_wait_line "$holder" "^opened c0 pid $holder\$"
fd=""
for f in /proc/"$holder"/fd/*; do
	[[ $(stat -L -c %t:%T "$f" 2>/dev/null) == a:c8 ]] && fd=${f##*/}
done
[[ -n $fd ]] || tk_fail "set-up: no descriptor of the character device 10:200 in pid $holder"
seen=$(chroot "$ROOT" ip netns exec "$NS" readlink "/proc/$holder/fd/$fd") ||
	tk_fail "set-up: readlink /proc/$holder/fd/$fd in the chroot failed"
tk_log "    from another command in the chroot, /proc/$holder/fd/$fd -> $seen"
[[ $seen != /dev/net/tun ]] ||
	tk_skip "here the link reads /dev/net/tun even from the chroot: nothing this test can show"

tk_case "list and show name the holder (found by device number and fdinfo's iff:)"
ct list --json
expect_rc 0
expect_json "adapters.[name=c0].holders" "[{\"name\": \"tapkit\", \"pid\": $holder}]"
ct show c0 --json
expect_rc 0
expect_json adapter.holders.0.pid "$holder"
expect_json adapter.holders.0.name tapkit

tk_case "a second open is refused as busy, naming the holder"
ct open c0 --no-create --timeout 0
expect_error TK_E_ADAPTER_BUSY 16 5
expect_stderr "held by tapkit (pid $holder)"
tk_stop "$holder"
expect_rc 0
ct show c0 --json
expect_json adapter.holders "[]"

tk_case "a multi-queue adapter held twice from the chroot lists both holders"
ct create m0 --multi-queue
expect_rc 0
ct_bg open m0 --multi-queue
q1=$TK_PID
tk_wait_line "$q1" "^opened m0 pid $q1\$"
ct_bg open m0 --multi-queue
q2=$TK_PID
tk_wait_line "$q2" "^opened m0 pid $q2\$"
ct show m0 --json
expect_rc 0
expect_json_true "sorted(h['pid'] for h in d['adapter']['holders']) == sorted([$q1, $q2])"
tk_stop "$q1"
tk_stop "$q2"

ct delete c0
expect_rc 0
ct delete m0
expect_rc 0
