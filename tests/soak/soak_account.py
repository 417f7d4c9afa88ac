# SPDX-License-Identifier: MIT
"""Frame accounting for tests/soak/soak.sh: snapshots of every counter, and the check that they
add up.

  soak_account.py snapshot --tapkit PATH --node NAME:NETNS:SOCK ... --underlay NETNS ... --out F
      Reads, from each node's namespace, the tunnel's status (`tapkit tunnel status --json`),
      the namespace's UDP counters (/proc/net/snmp) and every link's packets and drops
      (`ip -j -s link`). Repeats until two reads half a second apart agree on every counter
      (nothing in flight, so a datagram is never sent in one read and received in the next),
      at most --settle seconds.

  soak_account.py check --before F --after F --hub NAME --peers A,B,C [--ping-lost N]
      Deltas between the two snapshots, then, for every hop of the overlay (peer -> hub,
      hub -> peer): frames the sender handed to its socket = frames the receiver accepted from it
      + the receiver's drops for that peer before acceptance + what the kernel dropped on the way
      (UDP InErrors of the receiving namespace, link drops of the underlay). And for every peer's
      own adapter: frames read from it + frames accepted = frames sent + frames written to it +
      the peer's other drops. Prints every equation with its numbers; exit 1 on any mismatch.

The drop reasons a receiver counts before a datagram is accepted (so it is in no rx_frames) are
those of from_peer() in src/tunnel/datapath.c: bad_vni, bad_tag, replay, malformed, too_big and
mac_not_allowed on the peer, unknown_peer unattributed. Every other drop of a peer's tunnel
(queue_full, adapter, unreachable, no_route and the unattributed runts) is on its adapter side.
too_big on a peer can also be a send refused as too big: the controlled phase sends no frame
larger than the MTU, so it must stay 0 there either way.
"""

import argparse
import json
import subprocess
import sys
import time

PRE_ACCEPT = ("bad_vni", "bad_tag", "replay", "malformed", "too_big", "mac_not_allowed")
TAPS = ("tkhub", "tkp")  # the overlay adapters: not underlay links


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=15, check=False)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return r.stdout


def read_udp(ns):
    lines = [l.split() for l in run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"]).splitlines()
             if l.startswith("Udp:")]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


def read_links(ns):
    out = {}
    for l in json.loads(run(["ip", "-n", ns, "-j", "-s", "link", "show"])):
        s = l.get("stats64", {})
        out[l["ifname"]] = {
            "rx_packets": s["rx"]["packets"], "rx_dropped": s["rx"]["dropped"],
            "tx_packets": s["tx"]["packets"], "tx_dropped": s["tx"]["dropped"],
        }
    return out


def read_node(tapkit, ns, sock):
    st = json.loads(run(["ip", "netns", "exec", ns, tapkit, "tunnel", "status", "--control",
                         sock, "--json"]))["tunnel"]
    return {
        "listen": st["listen"], "pid": st["pid"], "reopens": st["adapter_reopens"],
        "drops": st["drops"],
        "peers": {p["endpoint"]: {"rx_frames": p["rx_frames"], "tx_frames": p["tx_frames"],
                                  "drops": p["drops"]} for p in st["peers"]},
    }


def snapshot(args):
    nodes = [n.split(":", 2) for n in args.node]
    deadline = time.monotonic() + args.settle
    prev = None
    while True:
        snap = {"nodes": {}, "ns": {}}
        for name, ns, sock in nodes:
            snap["nodes"][name] = read_node(args.tapkit, ns, sock)
            snap["nodes"][name]["ns"] = ns
        for ns in sorted({n[1] for n in nodes} | set(args.underlay)):
            snap["ns"][ns] = {"udp": read_udp(ns), "links": read_links(ns)}
        if snap == prev:
            break
        if time.monotonic() > deadline:
            print("soak_account: counters still moving after %d s; using the last read"
                  % args.settle, file=sys.stderr)
            snap["unsettled"] = True
            break
        prev = snap
        time.sleep(0.5)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(snap, f, indent=1, sort_keys=True)
    return 0


class Delta:
    def __init__(self, before, after):
        self.b, self.a = before, after

    def get(self, *path):
        x, y = self.b, self.a
        for k in path:
            x, y = x[k], y[k]
        return y - x


def underlay_drops(d, ns):
    links = d.a["ns"][ns]["links"]
    return sum(d.get("ns", ns, "links", l, k) for l in links if l not in TAPS and l in d.b["ns"][ns]["links"]
               for k in ("rx_dropped", "tx_dropped"))


def check(args):
    with open(args.before, encoding="utf-8") as f:
        before = json.load(f)
    with open(args.after, encoding="utf-8") as f:
        after = json.load(f)
    d = Delta(before, after)
    hub = args.hub
    peers = args.peers.split(",")
    nodes = after["nodes"]
    failures = []
    lines = []

    # Restarts or reopens inside the phase would reset counters: the phase must have none.
    for n, v in nodes.items():
        if v["pid"] != before["nodes"][n]["pid"] or v["reopens"] != before["nodes"][n]["reopens"]:
            failures.append("%s restarted or reopened its adapter during the phase" % n)
    if after.get("unsettled") or before.get("unsettled"):
        failures.append("counters did not settle (frames still in flight) around the phase")

    ul_ns = sorted(after["ns"])
    ul_all = sum(underlay_drops(d, ns) for ns in ul_ns)
    udp_err = {ns: d.get("ns", ns, "udp", "InErrors") for ns in ul_ns}
    total_u = 0
    total_k = ul_all + sum(udp_err.values())

    def hop(src, dst):
        nonlocal total_u
        s_ep = nodes[dst]["listen"]
        r_ep = nodes[src]["listen"]
        tx = d.get("nodes", src, "peers", s_ep, "tx_frames")
        rx = d.get("nodes", dst, "peers", r_ep, "rx_frames")
        pre = {k: d.get("nodes", dst, "peers", r_ep, "drops", k) for k in PRE_ACCEPT}
        unknown = d.get("nodes", dst, "drops", "unknown_peer")
        rns = nodes[dst]["ns"]
        kern = udp_err[rns] + ul_all + unknown
        u = tx - rx - sum(pre.values())
        total_u += u
        pre_txt = " + ".join("%s %d" % (k, v) for k, v in pre.items() if v) or "0"
        ok = 0 <= u <= kern
        lines.append("%-4s hop %s -> %s: tx %d = rx %d + drops (%s) + kernel %d%s  [%s]"
                     % ("ok" if ok else "FAIL", src, dst, tx, rx, pre_txt, u,
                        "" if kern == 0 else " (at most %d visible: UDP InErrors %d, underlay "
                        "link drops %d, unknown_peer %d)" % (kern, udp_err[rns], ul_all, unknown),
                        "exact" if kern == 0 else "bounded"))
        if not ok:
            failures.append("hop %s -> %s: %d frames sent, %d accepted, %d dropped before "
                            "acceptance: %d unaccounted (kernel drops visible: %d)"
                            % (src, dst, tx, rx, sum(pre.values()), u, kern))

    for p in peers:
        hop(p, hub)
        hop(hub, p)
    # Each hop may claim every kernel drop seen; together they may not claim more than were seen.
    unknown_all = sum(d.get("nodes", n, "drops", "unknown_peer") for n in nodes)
    if total_u > total_k + unknown_all:
        failures.append("all hops: %d frames unaccounted, only %d kernel drops and %d unknown_peer"
                        % (total_u, total_k, unknown_all))

    # A peer's own adapter: one peer, no forwarding, so every frame read is sent or dropped and
    # every frame accepted is written or dropped.
    for p in [] if args.no_adapters else peers:
        ep = nodes[hub]["listen"]
        tap = "tkp"
        tap_tx = d.get("ns", nodes[p]["ns"], "links", tap, "tx_packets")
        tap_rx = d.get("ns", nodes[p]["ns"], "links", tap, "rx_packets")
        tx = d.get("nodes", p, "peers", ep, "tx_frames")
        rx = d.get("nodes", p, "peers", ep, "rx_frames")
        total = sum(d.get("nodes", p, "drops", k) for k in nodes[p]["drops"])
        pre = sum(d.get("nodes", p, "peers", ep, "drops", k) for k in PRE_ACCEPT)
        post = total - pre - d.get("nodes", p, "drops", "unknown_peer")
        ok = tap_tx + rx == tx + tap_rx + post
        lines.append("%-4s %s adapter: read %d + accepted %d = sent %d + written %d + drops %d  [exact]"
                     % ("ok" if ok else "FAIL", p, tap_tx, rx, tx, tap_rx, post))
        if not ok:
            failures.append("%s adapter: %d read + %d accepted != %d sent + %d written + %d "
                            "dropped (off by %d)" % (p, tap_tx, rx, tx, tap_rx, post,
                                                     tap_tx + rx - tx - tap_rx - post))

    # Every echo lost must be explained by a drop counted somewhere on the way.
    drops_all = sum(d.get("nodes", n, "drops", k) for n in nodes for k in nodes[n]["drops"])
    tap_drops = sum(d.get("ns", v["ns"], "links", t, k) for v in nodes.values() for t in TAPS
                    if t in after["ns"][v["ns"]]["links"] and t in before["ns"][v["ns"]]["links"]
                    for k in ("rx_dropped", "tx_dropped"))
    explained = drops_all + tap_drops + total_k
    ok = args.ping_lost <= explained
    lines.append("%-4s pings lost %d <= drops counted %d (tunnels %d, adapters %d, kernel %d)"
                 % ("ok" if ok else "FAIL", args.ping_lost, explained, drops_all, tap_drops, total_k))
    if not ok:
        failures.append("%d echoes lost but only %d drops counted anywhere"
                        % (args.ping_lost, explained))
    frames = sum(d.get("nodes", n, "peers", ep, "tx_frames") for n in nodes for ep in nodes[n]["peers"])
    lines.append("     %d datagrams sent in the phase, %d counted drops, %d kernel drops"
                 % (frames, drops_all, total_k))
    print("\n".join(lines))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("--tapkit", required=True)
    s.add_argument("--node", action="append", required=True)
    s.add_argument("--underlay", action="append", default=[])
    s.add_argument("--settle", type=int, default=20)
    s.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("--before", required=True)
    c.add_argument("--after", required=True)
    c.add_argument("--hub", required=True)
    c.add_argument("--peers", required=True)
    c.add_argument("--ping-lost", type=int, default=0)
    c.add_argument("--no-adapters", action="store_true",
                   help="skip the adapter equations (TSO super-frames count as one packet)")
    a = ap.parse_args()
    return snapshot(a) if a.cmd == "snapshot" else check(a)


if __name__ == "__main__":
    sys.exit(main())
