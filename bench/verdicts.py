#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The targets of issue 20 and the LIMIT lines, from one run's figures (bench/run.sh).

    verdicts.py NCPU SEAL_B_PER_S OPEN_B_PER_S FIGURES.tsv [MSG_BYTES PAYLOAD_BYTES STREAM_B_PER_S]

FIGURES.tsv: one line per setup, tab-separated: id, then t1 t4 pmed p99 cpugb pusergb rss pps
pps_sent pps_tcpu pps_user as in the table, then busy1 (the share of all CPUs' time busy during the
1-stream TCP test), pcpugb (the tunnel daemons' CPU s/GB) and top1 (the busiest daemon's share of one
CPU, all its threads, during the 1-stream test), gso (Gbit/s from a UDP_SEGMENT sender)
("n/a" or "-" when missing). SEAL/OPEN: the AEAD
micro-benchmark's (bench/aead.c) plaintext bytes per second, each message sealed or opened on
its own ("" when it failed); MSG_BYTES: the size of those messages (what the tunnel seals per
full-size frame: VXLAN header + Ethernet header + MTU), PAYLOAD_BYTES: the TCP payload such a
frame carries (what iperf3 counts), STREAM: the same cipher as one endless message (what
`openssl speed` measures), shown for comparison only. Prints the target lines (MET / MISSED /
N/A, each with its figures, and for a miss whether tapkit or the platform is short), a blank
line, then the LIMIT lines. Only ratios of this run's figures: nothing here compares with
another run or machine.
"""
import sys

KEYS = ("t1", "t4", "pmed", "p99", "cpugb", "pusergb", "rss", "pps", "pps_sent", "pps_tcpu", "pps_user", "busy1", "pcpugb", "top1", "gso")
NCPU = int(sys.argv[1])
R = {}
for line in open(sys.argv[4]).read().splitlines():
    c = line.split("\t")
    R[c[0]] = dict(zip(KEYS, c[1:]))


def f(row, key):
    """A figure as a float, or None when it is missing."""
    try:
        return float(R.get(row, {}).get(key, "n/a"))
    except ValueError:
        return None


def fmt(v, spec="%.2f"):
    return "n/a" if v is None else spec % v


def ok(*vs):
    return all(v is not None for v in vs)


targets, limits = [], []


def target(name, value, op, threshold, text, short=None):
    """short: a function giving the 'short:' explanation of a miss."""
    if value is None:
        verdict = "N/A"
    else:
        verdict = "MET" if (value >= threshold if op == ">=" else value <= threshold) else "MISSED"
    line = "%-6s  %s: %s" % (verdict, name, text)
    if verdict == "MISSED" and short:
        line += "\n        short: " + short()
    targets.append(line)


def ceiling(kern):
    """Gbit/s that NCPU CPUs all busy with `kern` s/GB of work alone move."""
    return NCPU / kern * 8 if kern and kern > 0 else None


# ---- the ceilings (LIMIT lines) ----
vx_t1 = f("vxlan", "t1")
p_t1, p_cpu, p_user = f("tk-plain", "t1"), f("tk-plain", "cpugb"), f("tk-plain", "pusergb")
p_kern = p_cpu - p_user if ok(p_cpu, p_user) else None
p_top = ceiling(p_kern)
s_t1, s_cpu, s_user = f("tk-sealed", "t1"), f("tk-sealed", "cpugb"), f("tk-sealed", "pusergb")
s_kern = s_cpu - s_user if ok(s_cpu, s_user) else None
aead = {"seal": float(sys.argv[2]), "open": float(sys.argv[3])} if sys.argv[2] and sys.argv[3] else {}
MSG = int(sys.argv[5]) if len(sys.argv) > 6 and sys.argv[5] else 0
PAYLOAD = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else 0
STREAM = float(sys.argv[7]) if len(sys.argv) > 7 and sys.argv[7] else None
# one seal and one open per full-size frame (one at each end), seconds per GB of TCP payload
# (iperf3's bytes): each GB of payload is MSG / PAYLOAD GB of messages
per_payload = MSG / PAYLOAD if MSG and PAYLOAD else 1.0
aead_sgb = ((1e9 / aead["seal"] + 1e9 / aead["open"]) * per_payload
            if aead.get("seal") and aead.get("open") else None)
# The kernel's work a TAP + UDP tunnel cannot avoid is plain's (with its offloads): what sealed's
# own data path adds in the kernel beyond it is tapkit's, not the platform's.
s_top = ceiling(p_kern + aead_sgb) if ok(p_kern, aead_sgb) else None

relay_d = f("relay", "pmed") - f("vxlan", "pmed") if ok(f("relay", "pmed"), f("vxlan", "pmed")) else None
over = {m: (f("tk-" + m, "pmed") - f("relay", "pmed") if ok(f("tk-" + m, "pmed"), f("relay", "pmed")) else None)
        for m in ("plain", "sealed")}
limits.append("LIMIT reference relay (TAP + UDP, nothing else) median RTT over kernel vxlan: %s - %s us = %s us "
              "(the floor of the architecture here); tapkit over the relay: plain %s us, sealed %s us"
              % (R.get("relay", {}).get("pmed", "n/a"), R.get("vxlan", {}).get("pmed", "n/a"), fmt(relay_d, "%.0f"),
                 fmt(over["plain"], "%.0f"), fmt(over["sealed"], "%.0f")))
if p_top:
    limits.append("LIMIT tapkit plain if its own code cost nothing: CPU %.2f - tunnel user %.2f = %.2f s/GB of kernel "
                  "work; %d CPUs all busy move at most %.1f Gbit/s = %s of kernel vxlan"
                  % (p_cpu, p_user, p_kern, NCPU, p_top, fmt(p_top / vx_t1 if vx_t1 else None)))
else:
    limits.append("LIMIT tapkit plain if its own code cost nothing: n/a (a figure is missing)")
if s_top:
    limits.append("LIMIT tapkit sealed if its code besides the cipher cost nothing: plain's %.2f s/GB of kernel work "
                  "+ %.2f s/GB of ChaCha20-Poly1305 (bench/aead.c: OpenSSL, one %d-byte message per frame, nonce, data "
                  "and tag each time: seal %.0f MB/s, open %.0f MB/s; one of each per frame, %d payload bytes; as one "
                  "endless stream, what openssl speed measures, %s MB/s) = %.2f s/GB; %d CPUs all busy move at most "
                  "%.1f Gbit/s (sealed's own kernel work: CPU %s - tunnel user %s = %s s/GB)"
                  % (p_kern, aead_sgb, MSG, aead["seal"] / 1e6, aead["open"] / 1e6, PAYLOAD,
                     fmt(STREAM / 1e6 if STREAM else None, "%.0f"), p_kern + aead_sgb, NCPU, s_top,
                     fmt(s_cpu), fmt(s_user), fmt(s_kern)))
else:
    limits.append("LIMIT tapkit sealed if its code besides the cipher cost nothing: n/a (%s)"
                  % ("a figure of tapkit plain is missing" if p_kern is None else "the AEAD micro-benchmark gave no figure"))
pp_tcpu, pp_user = f("tk-plain", "pps_tcpu"), f("tk-plain", "pps_user")
pp_kern = pp_tcpu - pp_user if ok(pp_tcpu, pp_user) else None
pp_top = NCPU / pp_kern * 1e3 if pp_kern and pp_kern > 0 else None  # kpps
vx_pps, p_pps = f("vxlan", "pps"), f("tk-plain", "pps")
if pp_top:
    limits.append("LIMIT tapkit plain 64-byte UDP if its own code cost nothing: tunnel CPU %.2f - tunnel user %.2f = "
                  "%.2f s per million packets received of kernel work in the tunnels' system calls (packets dropped "
                  "on the way count too); %d CPUs busy with that alone receive at most %.0f kpps = %s of kernel vxlan"
                  % (pp_tcpu, pp_user, pp_kern, NCPU, pp_top, fmt(pp_top / vx_pps if vx_pps else None)))
else:
    limits.append("LIMIT tapkit plain 64-byte UDP if its own code cost nothing: n/a (a figure is missing)")

# ---- the targets ----
r = p_t1 / vx_t1 if ok(p_t1, vx_t1) else None
limits.append("RATIO tapkit plain / kernel vxlan (TCP 1 stream): %s / %s Gbit/s = %s"
              % (fmt(p_t1), fmt(vx_t1), fmt(r)))


def busy(row):
    """The share of all CPUs' time that was busy during the 1-stream TCP test (measured; else estimated
    from Gbit/s x CPU s/GB of both tests / 8 / CPUs)."""
    t1, cpu = f(row, "t1"), f(row, "cpugb")
    return f(row, "busy1") or (t1 * cpu / 8 / NCPU if ok(t1, cpu) else None)


vx_busy, p_busy, s_busy = busy("vxlan"), busy("tk-plain"), busy("tk-sealed")
limits.append("LIMIT one TCP stream kept the %d CPUs busy (/proc/stat during the 1-stream test): kernel vxlan %s, tapkit "
              "plain %s, tapkit sealed %s of the time; the ceilings above assume all of it"
              % (NCPU, fmt(vx_busy), fmt(p_busy), fmt(s_busy)))
p_top1, s_top1 = f("tk-plain", "top1"), f("tk-sealed", "top1")


def saturated(top1):
    """Whether a tunnel end used (nearly) all of one CPU, so that a second thread could have taken work off it."""
    return top1 is not None and top1 >= 0.95


limits.append("LIMIT the busier tapkit end during the 1-stream test used %s (plain) and %s (sealed) of one CPU; %s"
              % (fmt(p_top1), fmt(s_top1),
                 "n/a" if p_top1 is None and s_top1 is None else
                 "an end near 1.00 is the stream's bottleneck" if saturated(p_top1) or saturated(s_top1) else
                 "neither used a whole CPU: no tunnel thread was the stream's bottleneck"))
p_t4, s_t4 = f("tk-plain", "t4"), f("tk-sealed", "t4")
limits.append("RATIO tapkit plain with 4 TCP streams / its LIMIT ceiling: %s / %s Gbit/s = %s"
              % (fmt(p_t4), fmt(p_top, "%.1f"), fmt(p_t4 / p_top if ok(p_t4, p_top) else None)))
limits.append("RATIO tapkit sealed with 4 TCP streams / its LIMIT ceiling: %s / %s Gbit/s = %s"
              % (fmt(s_t4), fmt(s_top, "%.1f"), fmt(s_t4 / s_top if ok(s_t4, s_top) else None)))
g = {k: f(k, "gso") for k in ("vxlan", "tk-plain", "tk-sealed", "wg-vxlan", "ovpn-gcm")}
limits.append("RATIO a UDP_SEGMENT sender (40 x 1200 B per send): tapkit plain / kernel vxlan %s / %s Gbit/s = %s; "
              "tapkit sealed / kernel vxlan over wireguard-go %s / %s = %s, / OpenVPN AES-256-GCM %s = %s"
              % (fmt(g["tk-plain"]), fmt(g["vxlan"]),
                 fmt(g["tk-plain"] / g["vxlan"] if ok(g["tk-plain"], g["vxlan"]) and g["vxlan"] else None),
                 fmt(g["tk-sealed"]), fmt(g["wg-vxlan"]),
                 fmt(g["tk-sealed"] / g["wg-vxlan"] if ok(g["tk-sealed"], g["wg-vxlan"]) and g["wg-vxlan"] else None),
                 fmt(g["ovpn-gcm"]),
                 fmt(g["tk-sealed"] / g["ovpn-gcm"] if ok(g["tk-sealed"], g["ovpn-gcm"]) and g["ovpn-gcm"] else None)))
# the target's parenthetical: tapkit's own code (the daemons' user time) at most 15% of the tunnel's CPU per GB
p_tun = f("tk-plain", "pcpugb")
own = p_user / p_tun if ok(p_user, p_tun) and p_tun > 0 else None


def idle_short(m, busy_, cpu, work, own_text, own_ok):
    """A 1-stream ceiling miss. ratio = busy x work / cpu (work: the s/GB the ceiling counts, cpu: the s/GB
    measured), so two losses: the idle CPUs (1 - busy) and the CPU per GB beyond the ceiling's (1 - work / cpu),
    tapkit's. The larger one is short; the idle is the platform's when one stream through the kernel's own vxlan
    leaves the CPUs at least as idle and no tapkit end used a whole CPU."""
    if not own_ok:
        return "tapkit: %s; the CPUs were busy %s of the time" % (own_text, fmt(busy_ and busy_ * 100, "%.0f%%"))
    if busy_ is None or not ok(cpu, work):
        return "unknown (a figure is missing); %s" % own_text
    top1 = p_top1 if m == "plain" else s_top1
    idle, extra = 1 - busy_, 1 - work / cpu
    losses = ("ratio ~ busy %.2f x (1 - %.2f: tapkit's CPU per GB beyond the ceiling's, %.2f of %.2f s/GB)"
              % (busy_, extra, cpu - work, cpu))
    if idle >= extra and vx_busy is not None and vx_busy <= busy_ and not saturated(top1):
        return ("the platform: the CPUs were idle %.0f%% of the time with one TCP stream, more than tapkit's code "
                "costs beyond the ceiling (%.0f%%: %s), and one stream through the kernel's own vxlan kept them busy "
                "only %.0f%%: a single stream here does not fill both CPUs, whatever carries it (no tapkit end used "
                "a whole CPU: %s); %s" % (idle * 100, extra * 100, losses, vx_busy * 100, fmt(top1), own_text))
    return ("tapkit: its CPU per GB beyond the ceiling's costs %.0f%% and the CPUs were idle %.0f%% with one stream "
            "(%s; kernel vxlan's stream: %s busy; the busier tapkit end used %s of one CPU); %s"
            % (extra * 100, idle * 100, losses, fmt(vx_busy and vx_busy * 100, "%.0f%%"), fmt(top1), own_text))


def plain_short():
    return idle_short("plain", p_busy, p_cpu, p_kern,
                      "its own code is %s of the tunnel's CPU per GB (at most 15%%)" % fmt(own and own * 100, "%.1f%%"),
                      own is not None and own <= 0.15)


target("tapkit plain >= 0.85 of its LIMIT ceiling (TCP 1 stream)", p_t1 / p_top if ok(p_t1, p_top) else None,
       ">=", 0.85, "%s / %s Gbit/s = %s (target >= 0.85)" % (fmt(p_t1), fmt(p_top, "%.1f"),
                                                             fmt(p_t1 / p_top if ok(p_t1, p_top) else None)),
       plain_short)
for m in ("plain", "sealed"):
    target("tapkit %s median RTT <= reference relay + 20 us" % m, over[m], "<=", 20,
           "%s - %s us = %s us (target <= 20 us)" % (R.get("tk-" + m, {}).get("pmed", "n/a"),
                                                     R.get("relay", {}).get("pmed", "n/a"), fmt(over[m], "%.0f")),
           lambda m=m: "tapkit: the relay in the same run is the platform's floor; tapkit adds %.0f us over it, "
                       "%.0f us more than allowed" % (over[m], over[m] - 20))
for other, label, k in (("wg-vxlan", "kernel vxlan over wireguard-go", 4), ("ovpn-gcm", "OpenVPN AES-256-GCM", 4),
                        ("tinc", "tinc", 3.5)):
    o = f(other, "t1")
    r = s_t1 / o if ok(s_t1, o) and o > 0 else None

    def sealed_short(o=o, k=k):
        if s_top is None:
            return "unknown (the sealed LIMIT ceiling is n/a)"
        if s_top < k * o:
            return ("the platform: even with its code besides the cipher at no cost, sealed would reach %.1f Gbit/s "
                    "= %.2fx, under %gx" % (s_top, s_top / o, k))
        return "tapkit: its LIMIT ceiling %.1f Gbit/s = %.2fx would allow %gx" % (s_top, s_top / o, k)

    target("tapkit sealed >= %gx %s (TCP 1 stream)" % (k, label), r, ">=", k,
           "%s / %s Gbit/s = %s (target >= %gx)" % (fmt(s_t1), fmt(o), "n/a" if r is None else "%.2fx" % r, k),
           sealed_short)
r = s_t1 / s_top if ok(s_t1, s_top) else None
s_tun = f("tk-sealed", "pcpugb")
# sealed's code besides the cipher: the daemons' user time less the AEAD's, of the tunnel's CPU per GB
s_own = (s_user - aead_sgb) / s_tun if ok(s_user, aead_sgb, s_tun) and s_tun > 0 else None
target("tapkit sealed >= 0.85 of its LIMIT ceiling (TCP 1 stream)", r, ">=", 0.85,
       "%s / %s Gbit/s = %s (target >= 0.85)" % (fmt(s_t1), fmt(s_top, "%.1f"), fmt(r)),
       lambda: idle_short("sealed", s_busy, s_cpu, p_kern + aead_sgb if ok(p_kern, aead_sgb) else None,
                          "its code besides the cipher costs %s - %.2f = %s s/GB, %s of the tunnel's CPU per GB "
                          "(plain's own code may take 15%%), its data path %s s/GB more kernel work than plain's"
                          % (fmt(s_user), aead_sgb, fmt(s_user - aead_sgb if ok(s_user) else None),
                             fmt(s_own and s_own * 100, "%.1f%%"),
                             fmt(s_kern - p_kern if ok(s_kern, p_kern) else None)),
                          s_own is not None and s_own <= 0.15))
target("tapkit plain's own code <= 15% of the tunnel's CPU per GB", own, "<=", 0.15,
       "tunnel user %s / tunnel CPU %s s/GB = %s (target <= 15%%)"
       % (fmt(p_user, "%.3f"), fmt(p_tun, "%.3f"), fmt(own and own * 100, "%.1f%%")),
       lambda: "tapkit (its own code)")
r = p_pps / vx_pps if ok(p_pps, vx_pps) and vx_pps > 0 else None


def pps_short():
    if pp_top is None:
        return "unknown (the 64-byte LIMIT is n/a)"
    if pp_top < 0.5 * vx_pps:
        return ("the platform: with its own code at no cost, plain would receive at most %.0f kpps = %.2f of kernel "
                "vxlan" % (pp_top, pp_top / vx_pps))
    return "tapkit: its 64-byte LIMIT %.0f kpps = %.2f of kernel vxlan would allow 0.5" % (pp_top, pp_top / vx_pps)


vx_sent = f("vxlan", "pps_sent")
target("tapkit plain 64-byte UDP >= 0.5 of kernel vxlan (packets per second received)", r, ">=", 0.5,
       "%s / %s kpps = %s (target >= 0.5; iperf3 sent %s kpps through kernel vxlan%s)"
       % (fmt(p_pps, "%.0f"), fmt(vx_pps, "%.0f"), fmt(r), fmt(vx_sent, "%.0f"),
          ": all received, so the sender is kernel vxlan's limit, not the kernel"
          if ok(vx_pps, vx_sent) and vx_pps >= 0.95 * vx_sent else ""), pps_short)
for m in ("plain", "sealed"):
    rss = f("tk-" + m, "rss")
    target("tapkit %s RSS under load <= 32 MiB" % m, rss, "<=", 32,
           "max VmRSS of either end during iperf3 %s MiB (target <= 32 MiB)" % fmt(rss, "%.1f"),
           lambda: "tapkit (its own memory)")

print("\n".join(targets))
print()
print("\n".join(limits))
