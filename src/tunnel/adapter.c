/* SPDX-License-Identifier: MIT */
/*
 * The adapter side: open and configure (MTU, MAC, addresses, up), reopen a vanished one, read
 * frames (tap_readable) and write them (tap_emit).
 */
#include "engine.h"

#ifndef _WIN32
#include <sys/utsname.h>
#endif

/* ---- the adapter ---- */

#ifdef _WIN32
/* TAP-Windows6 frames have no virtio-net header: the engine's buffers keep room for one */
#define TAP_VNET     0u
#define TAP_HDR_SKIP TK_VNET_HDR_LEN
#else
#define TAP_VNET     TK_OPEN_VNET_HDR
#define TAP_HDR_SKIP 0u
#endif

/*
 * The MAC of an adapter the tunnel creates. The kernel would pick a random one at every
 * creation: after a restart or a recovery the peers' ARP caches still name the old one and
 * their frames die at our adapter until those entries expire (up to a minute; the peer cannot
 * tell). Like systemd's MACAddressPolicy=persistent, it is derived from what names this
 * adapter here instead: the machine id, the network namespace and the adapter's name.
 */
#ifndef _WIN32 /* Windows adapters persist: they keep their own MAC */
static void stable_mac(const char *dev, uint8_t mac[TK_MAC_LEN])
{
	static const char label[] = "tapkit tunnel adapter mac v1";
	crypto_generichash_state h;
	char id[64] = "";
	struct stat st;
	uint8_t out[16];

	FILE *f = fopen("/etc/machine-id", "re");
	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		fclose(f);
	}
	uint64_t ns = stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
	crypto_generichash_init(&h, NULL, 0, sizeof(out));
	crypto_generichash_update(&h, (const uint8_t *)label, sizeof(label));
	crypto_generichash_update(&h, (const uint8_t *)id, strlen(id));
	crypto_generichash_update(&h, (const uint8_t *)&ns, sizeof(ns));
	crypto_generichash_update(&h, (const uint8_t *)dev, strlen(dev));
	crypto_generichash_final(&h, out, sizeof(out));
	memcpy(mac, out, TK_MAC_LEN);
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}
#endif

#ifndef _WIN32
/*
 * Whether the TAP does UDP GSO both ways (TUN_F_USO4/6, VIRTIO_NET_HDR_GSO_UDP_L4 frames): Linux
 * 6.2 and later. Read from the release, since a TUNSETOFFLOAD probe that fails logs an error
 * on every older kernel; a backport elsewhere is simply not used.
 */
static bool kernel_takes_uso(void)
{
	struct utsname u;
	char *end = NULL;

	if (uname(&u) != 0)
		return false;
	unsigned long major = strtoul(u.release, &end, 10);
	if (end == u.release || *end != '.')
		return false;
	const char *m = end + 1;
	unsigned long minor = strtoul(m, &end, 10);
	return end != m && (major > 6 || (major == 6 && minor >= 2));
}
#endif

/*
 * MACAddress when configured; else, for an adapter we created (it is not persistent: it goes
 * with our handle), the stable one. An adapter someone else made keeps its own.
 */
static tk_status adapter_mac(struct tk_tunnel *t, const char *name, tk_error *err)
{
	uint8_t mac[TK_MAC_LEN];
	tk_adapter_info info;

	if (t->conf.has_mac) {
		memcpy(mac, t->conf.mac, TK_MAC_LEN);
	} else {
		tk_error e2 = { 0 };
		if (tk_adapter_get(t->ctx, name, &info, &e2) != TK_OK ||
		    (info.flags & TK_ADAPTER_PERSIST))
			return TK_OK;
#ifdef _WIN32
		return TK_OK;
#else
		stable_mac(name, mac);
#endif
	}
	return tk_adapter_set_mac(t->ctx, name, mac, err);
}

static tk_status adapter_configure(struct tk_tunnel *t, const char *name, tk_error *err)
{
	tk_status st = tk_adapter_set_mtu(t->ctx, name, t->conf.mtu, err);
#ifdef _WIN32
	/*
	 * IP Helper sets the MTU of TCP/IP's interface on the adapter. Where TCP/IP is not bound
	 * to it (unbound in its properties; Wine, whose stack does not see adapters) the tunnel
	 * still carries frames up to MTU: said once, not fatal.
	 */
	if (st != TK_OK) {
		tk__tunnel_log(t, TK_LOG_WARN,
			       "cannot set the MTU of %s to %u (%s: %s): frames up to MTU still "
			       "pass; set it by hand: netsh interface ipv4 set subinterface \"%s\" "
			       "mtu=%u",
			       name, t->conf.mtu, tk_status_name(st), err->message, name,
			       t->conf.mtu);
		st = TK_OK;
	}
#endif
	if (st != TK_OK)
		return st;
	if ((st = adapter_mac(t, name, err)) != TK_OK)
		return st;
	for (size_t i = 0; i < t->conf.naddrs; i++) {
		tk_error e2 = { 0 };
		st = tk_adapter_addr_add(t->ctx, name, &t->conf.addrs[i], &e2);
		if (st != TK_OK && st != TK_E_EXISTS) {
			*err = e2;
			return st;
		}
	}
#ifdef _WIN32
	/* "up" is the device enabled, which it is since we hold it: the link is the media
	 * status, set connected by adapter_open */
	return TK_OK;
#else
	return tk_adapter_set_up(t->ctx, name, true, err);
#endif
}

static tk_status adapter_open(void *user, tk_error *err)
{
	struct tk_tunnel *t = user;
	/* every frame carries a virtio-net header: with offloads, one read is a 64 KiB segment */
	tk_open_opts o = { .name = t->conf.dev,
			   .mode = TK_MODE_TAP,
			   .flags = TK_OPEN_NONBLOCK | TAP_VNET };
	tk_dev *dev = NULL;

	tk_status st = tk_dev_open(t->ctx, &o, &dev, err);
	if (st != TK_OK)
		return st;
#ifdef _WIN32
	/* TAP-Windows6 has no offloads (Windows segments before the driver); the link is the
	 * media status, connected while we hold the adapter */
	t->offload = false;
	st = tk_dev_set_carrier(dev, true, err);
	if (st == TK_OK)
		st = adapter_configure(t, tk_dev_name(dev), err);
#else
	tk_error oe = { 0 };
	/*
	 * From Linux 6.2 UDP GSO both ways: the kernel hands us a UDP_SEGMENT sender's datagrams
	 * as one frame (split in send.c like TSO), and datagrams of one UDP flow go to the
	 * adapter merged (socket_linux.c, offload.c).
	 */
	bool uso = kernel_takes_uso();
	t->offload =
		tk_dev_set_offload(dev, OFFLOADS | (uso ? TK_OFFLOAD_USO4 | TK_OFFLOAD_USO6 : 0u),
				   &oe) == TK_OK;
	if (!t->offload && uso) {
		/* a 6.2+ release without USO in its tun (a vendor kernel): the rest still works */
		uso = false;
		t->offload = tk_dev_set_offload(dev, OFFLOADS, &oe) == TK_OK;
	}
	t->gro.uso = t->offload && uso;
	if (!t->offload)
		tk__tunnel_log(t, TK_LOG_WARN,
			       "no TSO/checksum offload on %s (%s): frame by frame, slower",
			       tk_dev_name(dev), oe.message);
	st = adapter_configure(t, tk_dev_name(dev), err);
#endif
	if (st != TK_OK) {
		tk_dev_close(dev);
		return st;
	}
	t->dev = dev;
	tk__strlcpy(t->dev_name, tk_dev_name(dev), sizeof(t->dev_name));
	return TK_OK;
}

tk_status tk__adapter_start(struct tk_tunnel *t, tk_error *err)
{
	tk_status st = tk_retry_run(t->ctx, NULL, "open adapter", adapter_open, t, err);
	if (st != TK_OK)
		return st;
	if ((st = tk__loop_watch(&t->loop, tk_dev_handle(t->dev), TK__EV_TAP, t->conf.dev, err)) !=
	    TK_OK) {
		tk_dev_close(t->dev);
		t->dev = NULL;
		return st;
	}
	tk__tunnel_log(t, TK_LOG_INFO, "adapter %s open: mtu %u, %zu address(es), up", t->dev_name,
		       t->conf.mtu, t->conf.naddrs);
	return TK_OK;
}

void tk__adapter_close(struct tk_tunnel *t)
{
	if (!t->dev)
		return;
	tk__loop_unwatch(&t->loop, tk_dev_handle(t->dev));
	tk_dev_close(t->dev);
	t->dev = NULL;
	t->dev_name[0] = '\0';
}

/* Arms the reopen timer for ns from now (0: disarms); its fd wakes the loop. */
static void timer_arm(struct tk_tunnel *t, uint64_t ns)
{
	t->reopen_pending = ns != 0;
	t->reopen_at = clock_ns(CLOCK_MONOTONIC) + ns;
	tk__timer_rearm(t);
}

/*
 * The adapter vanished (deleted, or its namespace went away): close our handle and open it again
 * (which creates it when it is gone), with the context's retry policy, all under one trace id
 * so the log shows the recovery as one story. When even that fails, try again later: the
 * peers and their state stay as they are meanwhile.
 */
void tk__adapter_recover(struct tk_tunnel *t, const tk_error *why)
{
	char trace[TK_TRACE_ID_MAX];
	tk_error err = { 0 };

	tk_trace_begin(t->ctx, NULL, trace, sizeof(trace));
	if (why)
		tk__tunnel_log(t, TK_LOG_WARN, "adapter %s lost (%s: %s): reopening", t->conf.dev,
			       tk_status_name(why->status), why->message);
	tk__adapter_close(t);
	tk_status st = tk__adapter_start(t, &err);
	if (st == TK_OK) {
		t->reopens++;
		timer_arm(t, 0);
		tk__tunnel_log(t, TK_LOG_INFO, "adapter %s recovered (reopen %llu)", t->conf.dev,
			       (unsigned long long)t->reopens);
	} else {
		timer_arm(t, RETRY_NS);
		tk__tunnel_log(t, TK_LOG_WARN,
			       "cannot reopen adapter %s (%s: %s; fix: %s): next try in 2 s",
			       t->conf.dev, tk_status_name(st), err.message, err.remedy);
	}
	tk_trace_end(t->ctx);
}

unsigned tk__tap_readable(struct tk_tunnel *t)
{
	unsigned frames = 0;
	/* the frame lands at HEADROOM, its virtio-net header just before it */
	uint8_t *buf = t->tap_buf + HEADROOM - TK_VNET_HDR_LEN;
#ifdef _WIN32
	memset(buf, 0, TK_VNET_HDR_LEN); /* no header from TAP-Windows6: "no offload" */
#endif

	/*
	 * One record for the batch, not zeroed per frame (1 KiB): tk_dev_read resets what it reads
	 * (err_reset) and fills all of it on a failure, the only time it is looked at.
	 */
	tk_error err;
	bool drained = false; /* the reads went on until the adapter had nothing */
#ifdef _WIN32
	bool one = false; /* the adapter's event is not level-triggered: read until empty */
#else
	/*
	 * Reading until EAGAIN costs one read that finds nothing per wake-up: where wake-ups bring
	 * one frame each (a ping and its answer, a request), a third of the calls. After a batch
	 * of one frame, a single frame is read: epoll is level-triggered, so a frame left behind
	 * wakes the loop again at once. Every TAP_PEEK'th batch reads to the end again, to see
	 * whether frames still come alone.
	 */
	bool one = t->tap_one && ++t->tap_one_n % TAP_PEEK != 0;
#endif
	t->batching = true;
	for (int i = 0; i < BUDGET && t->dev; i++) {
		size_t len = 0;
		tk_status st = tk_dev_read(t->dev, buf + TAP_HDR_SKIP,
					   FRAME_CAP + TK_VNET_HDR_LEN - TAP_HDR_SKIP, &len, &err);
		len += TAP_HDR_SKIP;
		if (st == TK_E_AGAIN) {
			drained = true;
			break;
		}
		if (st == TK_E_INTERRUPTED)
			continue;
		if (st != TK_OK) {
			tk__txb_flush(t);
			tk__adapter_recover(t, &err);
			break;
		}
		if (len < TK_VNET_HDR_LEN) {
			tk__count_drop(t, NULL, TK__DROP_MALFORMED);
			continue;
		}
		struct tk__vnet v;
		frames++;
		tk__vnet_read(buf, &v);
		tk__from_tap(t, buf + TK_VNET_HDR_LEN, len - TK_VNET_HDR_LEN, &v);
		if (one)
			break;
	}
	tk__txb_flush(t);
	t->batching = false;
	if (drained && frames)
		t->tap_one = frames == 1;
	return frames;
}

/* ---- datagrams from peers ---- */

/* Writes one frame or a merged super-frame (buf: virtio-net header + frame) to the adapter. */
void tk__tap_emit(void *user, uint8_t *buf, size_t len, unsigned nsegs, uint32_t tag)
{
	struct tk_tunnel *t = user;
	struct tk__peer *p = tag < t->npeers ? &t->peers[tag] : NULL;

	if (!t->dev) {
		tk__count_drops(t, p, TK__DROP_ADAPTER, nsegs);
		return;
	}
	tk_error err; /* not zeroed per frame: tk_dev_write resets it, fills it on a failure */
	tk_status st = tk_dev_write(t->dev, buf + TAP_HDR_SKIP, len - TAP_HDR_SKIP, &err);
	if (st == TK_OK) {
		t->tap_wrote = true;
		return;
	}
	tk__count_drops(t, p, st == TK_E_AGAIN ? TK__DROP_QUEUE_FULL : TK__DROP_ADAPTER, nsegs);
	if (st == TK_E_DEVICE_VANISHED)
		tk__adapter_recover(t, &err);
}

void tk__to_tap(struct tk_tunnel *t, uint32_t idx, const uint8_t *frame, size_t len)
{
	if (t->offload)
		tk__gro_add(&t->gro, frame, len, idx); /* written at the end of the batch */
	else
		tk__gro_pass(&t->gro, frame, len, idx);
}
