/* SPDX-License-Identifier: MIT */
/*
 * An open TAP-Windows6 adapter: CreateFile of \\.\Global\{GUID}.tap (read/write, no sharing,
 * overlapped), the version/MTU/MAC queries, TUN mode and media status, and frame I/O with
 * several overlapped reads and writes in flight.
 *
 * Reads: the driver queues every read and completes them in order (tap-windows6 9.27 rxpath.c,
 * a cancel-safe FIFO), so TK_WIN_READS reads share one manual-reset event, which is the handle
 * an event loop waits on. A read takes the oldest slot once it has completed and re-issues it.
 * ReadFile resets the event it is given, so after every re-issue the head is checked again and
 * the event set when it is already complete (otherwise a waiting loop would sleep on a frame).
 * Writes: the driver completes a write only when the stack returns the packet, which took over a
 * second on Server 2019/2022 (tap-windows6-detail.md 1.3): several writes stay in flight.
 */
#include "win_internal.h"

#include <stdlib.h>
#include <string.h>

#define TK_WIN_READS  4
#define TK_WIN_WRITES 4

struct slot {
	OVERLAPPED ov;
	unsigned char *buf;
	bool pending; /* an I/O was issued and its result not collected yet */
	DWORD failed; /* the Win32 code when the issue itself failed, with pending false */
};

struct tk__os_dev {
	HANDLE h;
	HANDLE rd_event;
	HANDLE wake_event; /* auto-reset, set by tk_dev_wake */
	DWORD bufsize;
	struct slot rd[TK_WIN_READS];
	unsigned rd_head;
	struct slot wr[TK_WIN_WRITES];
	unsigned wr_next;
	bool nonblocking;
	char guid[TK_ID_MAX];
	uint32_t mtu;
	unsigned long ver_major, ver_minor;
};

/* ---- opening ---- */

/* Explains a failed open with what Device Manager knows about the adapter. */
static tk_status open_failed(tk_ctx *ctx, const struct tk_win_adapter *a, DWORD code, tk_error *err)
{
	char what[TK_ERROR_TEXT_MAX];
	tk__snprintf(what, sizeof(what), "cannot open adapter \"%s\" %s", a->name, a->guid);
	if (code == ERROR_FILE_NOT_FOUND && a->problem) {
		const struct tk_cm_problem *p = tk__winlogic_cm_problem(a->problem);
		tk__error_set_quiet(err, p->status, "open", a->name, TK_OS_CM_PROBLEM, a->problem,
				    "%s: %s (%s)", what, p->meaning, p->name);
		tk__error_remedy(err, "%s", p->remedy);
		char text[TK_ERROR_OS_TEXT_MAX];
		tk__errmap_os_text(code, text, sizeof(text));
		tk__error_os_text(err, text);
		if (ctx)
			tk__error_log(ctx, err);
		return p->status;
	}
	if (code == ERROR_FILE_NOT_FOUND && a->devnode && !a->present) {
		tk__error_set_quiet(
			err, TK_E_ADAPTER_NOT_FOUND, "open", a->name, TK_OS_WIN32, code,
			"%s: the adapter is registered but its device is not present (removed, or its driver is not loaded)",
			what);
		tk__error_remedy(
			err,
			"run `tapkit doctor`; recreate the adapter with `tapkit create` if it was removed");
		if (ctx)
			tk__error_log(ctx, err);
		return TK_E_ADAPTER_NOT_FOUND;
	}
	return tk__errmap_win32(ctx, err, TK_WIN_OP_OPEN, "open", a->name, code, what);
}

tk_status tk__device_explain(const struct tk_win_adapter *a, DWORD code, tk_error *err)
{
	return open_failed(NULL, a, code, err);
}

static HANDLE create_file(const char *guid, DWORD *code)
{
	wchar_t path[80];
	tk__tapioctl_path(guid, path, TK_ARRAY_SIZE(path));
	HANDLE h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
			       FILE_ATTRIBUTE_SYSTEM | FILE_FLAG_OVERLAPPED, NULL);
	*code = h == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS;
	return h;
}

DWORD tk__device_probe(const char *guid, uint32_t version[3], DWORD *ioctl)
{
	DWORD code;
	HANDLE h = create_file(guid, &code);
	*ioctl = ERROR_SUCCESS;
	if (h != INVALID_HANDLE_VALUE) {
		ULONG ver[3] = { 0 };
		DWORD got = 0;
		*ioctl = tk__tapioctl_call(h, TK_TAP_IOCTL_GET_VERSION, NULL, 0, ver, sizeof(ver),
					   &got);
		for (int i = 0; i < 3; i++)
			version[i] = (uint32_t)ver[i];
		CloseHandle(h);
	}
	return code;
}

/* CreateFile with the short retry error 31 deserves: the previous owner's handle may still be
 * draining (the slot is freed in IRP_MJ_CLOSE, after its IRPs finish). */
static HANDLE open_handle(const char *guid, DWORD *code)
{
	HANDLE h = INVALID_HANDLE_VALUE;
	for (int i = 0; i < 3; i++) {
		h = create_file(guid, code);
		if (h != INVALID_HANDLE_VALUE || *code != ERROR_GEN_FAILURE)
			break;
		Sleep(100);
	}
	return h;
}

/*
 * Both mean "no handle": CreateFile fails with INVALID_HANDLE_VALUE, other APIs with NULL.
 * A HANDLE is a void *; taken as const void * because it is only compared.
 */
static bool handle_valid(const void *h)
{
	return h != NULL && h != INVALID_HANDLE_VALUE;
}

static void free_os(struct tk__os_dev *o)
{
	if (!o)
		return;
	bool leak = false;
	if (handle_valid(o->h)) {
		/* Reads are cancelled; writes are not cancellable in tap-windows6 and finish when
		 * the stack returns them. Buffers of an I/O still running after 2 s are leaked
		 * rather than freed under the driver. */
		CancelIoEx(o->h, NULL);
		for (unsigned i = 0; i < TK_WIN_READS + TK_WIN_WRITES; i++) {
			struct slot *s = i < TK_WIN_READS ? &o->rd[i] : &o->wr[i - TK_WIN_READS];
			DWORD n;
			if (s->pending && !GetOverlappedResultEx(o->h, &s->ov, &n, 2000, FALSE) &&
			    GetLastError() == WAIT_TIMEOUT)
				leak = true;
		}
		CloseHandle(o->h);
	}
	if (leak)
		return;
	for (unsigned i = 0; i < TK_WIN_READS; i++)
		free(o->rd[i].buf);
	for (unsigned i = 0; i < TK_WIN_WRITES; i++) {
		free(o->wr[i].buf);
		if (o->wr[i].ov.hEvent)
			CloseHandle(o->wr[i].ov.hEvent);
	}
	if (o->rd_event)
		CloseHandle(o->rd_event);
	if (o->wake_event)
		CloseHandle(o->wake_event);
	free(o);
}

static bool head_ready(const struct tk__os_dev *o)
{
	const struct slot *s = &o->rd[o->rd_head];
	return !s->pending || HasOverlappedIoCompleted(&s->ov);
}

static void rd_issue(struct tk__os_dev *o, struct slot *s)
{
	memset(&s->ov, 0, sizeof(s->ov));
	s->ov.hEvent = o->rd_event;
	s->failed = ERROR_SUCCESS;
	s->pending = true;
	if (!ReadFile(o->h, s->buf, o->bufsize, NULL, &s->ov)) {
		DWORD rc = GetLastError();
		if (rc != ERROR_IO_PENDING) {
			s->pending = false;
			s->failed = rc;
		}
	}
	/* ReadFile reset the shared event: set it again if the head is already done. */
	if (head_ready(o))
		SetEvent(o->rd_event);
}

static tk_status query_driver(tk_ctx *ctx, tk_dev *dev, struct tk__os_dev *o,
			      const struct tk_win_adapter *a, tk_error *err)
{
	ULONG ver[3] = { 0 }, mtu = 0;
	DWORD got = 0;
	if (tk__tapioctl_call(o->h, TK_TAP_IOCTL_GET_VERSION, NULL, 0, ver, sizeof(ver), &got) ==
	    ERROR_SUCCESS) {
		o->ver_major = ver[0];
		o->ver_minor = ver[1];
		/* OpenVPN refuses older than 9.9, and 9.8 was broken in TUN mode. */
		if (ctx && !tk__winlogic_tap_version_ok(ver[0], ver[1]))
			tk__log(ctx, TK_LOG_WARN, "windows.device", NULL, 0,
				"adapter %s runs TAP driver %lu.%lu, older than 9.9: update it",
				a->name, (unsigned long)ver[0], (unsigned long)ver[1]);
	}
	if (tk__tapioctl_call(o->h, TK_TAP_IOCTL_GET_MTU, NULL, 0, &mtu, sizeof(mtu), &got) ==
	    ERROR_SUCCESS)
		o->mtu = mtu;
	if (dev->mode == TK_MODE_TUN) {
		/* 0/0/0 switches to TUN without IPv4 settings, as OpenVPN does; IPv4 ARP is
		 * answered only for a local address given here (reference, TUN traps). */
		ULONG tun[3] = { 0, 0, 0 };
		DWORD rc = tk__tapioctl_call(o->h, TK_TAP_IOCTL_CONFIG_TUN, tun, sizeof(tun), NULL,
					     0, &got);
		if (rc != ERROR_SUCCESS)
			return tk__errmap_win32(ctx, err, TK_WIN_OP_IOCTL, "CONFIG_TUN", a->name,
						rc, "cannot switch the adapter to TUN mode");
	}
	/* Until "connected" every read and write fails at once with 995. */
	ULONG on = 1;
	DWORD rc = tk__tapioctl_call(o->h, TK_TAP_IOCTL_SET_MEDIA_STATUS, &on, sizeof(on), NULL, 0,
				     &got);
	/*
	 * tap-windows6 refuses a second owner in IRP_MJ_CREATE (31 from CreateFile). A host that
	 * completes the create anyway (Wine ignores the create's status: see
	 * tests/windows/emulated-driver/README.md) gets the same 31 on the handle's first request,
	 * so a 31 here, still inside open, is the same refusal and maps like CreateFile's.
	 */
	if (rc != ERROR_SUCCESS)
		return tk__errmap_win32(
			ctx, err, rc == ERROR_GEN_FAILURE ? TK_WIN_OP_OPEN : TK_WIN_OP_IOCTL,
			"SET_MEDIA_STATUS", a->name, rc, "cannot set the media status connected");
	return TK_OK;
}

static tk_status open_adapter(tk_ctx *ctx, tk_dev *dev, const struct tk_win_adapter *a, DWORD *code,
			      tk_error *err)
{
	tk_status st;
	struct tk__os_dev *o = calloc(1, sizeof(*o));
	if (!o)
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "open", a->name, TK_OS_NONE, 0,
					   "out of memory");
	o->h = open_handle(a->guid, code);
	if (o->h == INVALID_HANDLE_VALUE) {
		st = open_failed(ctx, a, *code, err);
		goto fail;
	}
	tk__strlcpy(o->guid, a->guid, sizeof(o->guid));
	st = query_driver(ctx, dev, o, a, err);
	if (st != TK_OK)
		goto fail;
	/* A buffer for any frame: the driver accepts MTU + 18 (and a 4-byte priority tag). */
	o->bufsize = (o->mtu > 1500 ? o->mtu : 1500) + 64;
	o->rd_event = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!o->rd_event)
		goto fail_os;
	o->wake_event = CreateEventW(NULL, FALSE, FALSE, NULL);
	if (!o->wake_event)
		goto fail_os;
	for (unsigned i = 0; i < TK_WIN_READS; i++)
		if (!(o->rd[i].buf = malloc(o->bufsize)))
			goto fail_mem;
	for (unsigned i = 0; i < TK_WIN_WRITES; i++) {
		if (!(o->wr[i].buf = malloc(o->bufsize)))
			goto fail_mem;
		if (!(o->wr[i].ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)))
			goto fail_os;
	}
	o->nonblocking = (dev->flags & TK_OPEN_NONBLOCK) != 0;
	for (unsigned i = 0; i < TK_WIN_READS; i++)
		rd_issue(o, &o->rd[i]);
	tk__strlcpy(dev->name, a->name, sizeof(dev->name));
	dev->os = o;
	if (ctx)
		tk__log(ctx, TK_LOG_DEBUG, "windows.device", NULL, 0,
			"opened %s %s: driver %lu.%lu, MTU %lu", a->name, a->guid, o->ver_major,
			o->ver_minor, (unsigned long)o->mtu);
	return TK_OK;
fail_mem:
	st = tk__error_set_quiet(err, TK_E_NO_MEMORY, "open", a->name, TK_OS_NONE, 0,
				 "out of memory for %u frame buffers",
				 TK_WIN_READS + TK_WIN_WRITES);
	goto fail;
fail_os:
	st = tk__errmap_win32(ctx, err, TK_WIN_OP_GENERIC, "open", a->name, GetLastError(),
			      "cannot create an event");
fail:
	free_os(o);
	return st;
}

/* No name: the first adapter that opens, as OpenVPN does; the error says what each one did. */
static tk_status open_first_free(tk_ctx *ctx, tk_dev *dev, tk_error *err)
{
	struct tk_win_adapter *list;
	size_t n;
	tk_status st = tk__registry_adapters(ctx, &list, &n, err);
	if (st != TK_OK)
		return st;
	tk__setupapi_annotate(ctx, list, n);
	char tried[TK_ERROR_TEXT_MAX] = "";
	size_t used = 0, busy = 0;
	for (size_t i = 0; i < n; i++) {
		if (!list[i].guid[0])
			continue;
		tk_error e = { 0 };
		DWORD code = 0;
		st = open_adapter(NULL, dev, &list[i], &code, &e);
		if (st == TK_OK) {
			free(list);
			return TK_OK;
		}
		busy += e.status == TK_E_ADAPTER_BUSY;
		if (used + 8 < sizeof(tried)) {
			tk__snprintf(tried + used, sizeof(tried) - used, "%s\"%s\" %s",
				     used ? ", " : "", list[i].name, tk_status_name(e.status));
			used = strlen(tried);
		}
	}
	free(list);
	if (n == 0) {
		tk__error_set(ctx, err, TK_E_ADAPTER_NOT_FOUND, "open", "", TK_OS_NONE, 0,
			      "no TAP-Windows adapter exists on this system");
		tk__error_remedy(
			err,
			"create one with `tapkit create` (elevated; the TAP-Windows6 driver must be installed)");
		return TK_E_ADAPTER_NOT_FOUND;
	}
	st = busy == n ? TK_E_ADAPTER_BUSY : TK_E_ADAPTER_NOT_FOUND;
	tk__error_set(ctx, err, st, "open", "", TK_OS_NONE, 0, "no free TAP-Windows adapter: %s",
		      tried);
	tk__error_remedy(
		err,
		"run `tapkit doctor` for each adapter's problem; create another one with `tapkit create`");
	return st;
}

tk_status tk__backend_dev_open(tk_ctx *ctx, const tk_open_opts *opts, tk_dev *dev, tk_error *err)
{
	const char *name = opts->name && *opts->name ? opts->name : "";
	uint32_t unsupported = opts->flags & (TK_OPEN_MULTI_QUEUE | TK_OPEN_VNET_HDR | TK_OPEN_PI);
	if (unsupported) {
		tk__error_set(ctx, err, TK_E_UNSUPPORTED, "open", name, TK_OS_NONE, 0,
			      "TAP-Windows6 has no %s",
			      (unsupported & TK_OPEN_MULTI_QUEUE) ? "multi-queue mode"
			      : (unsupported & TK_OPEN_VNET_HDR)  ? "virtio-net header or offloads"
								  : "packet-information header");
		tk__error_remedy(
			err,
			"open without TK_OPEN_MULTI_QUEUE, TK_OPEN_VNET_HDR and TK_OPEN_PI on Windows");
		return TK_E_UNSUPPORTED;
	}
	if (!*name)
		return open_first_free(ctx, dev, err);
	struct tk_win_adapter a;
	tk_status st = tk__registry_find(ctx, name, &a, err);
	if (st != TK_OK) {
		if (st == TK_E_ADAPTER_NOT_FOUND)
			tk__error_log(ctx,
				      err); /* tk__registry_find leaves logging to its caller */
		return st;
	}
	if (!a.guid[0]) {
		tk__error_set(ctx, err, a.note_status ? a.note_status : TK_E_CONFIG, "open", name,
			      TK_OS_NONE, 0, "%s", a.note);
		return err->status;
	}
	tk__setupapi_annotate(ctx, &a, 1);
	DWORD code = 0;
	return open_adapter(ctx, dev, &a, &code, err);
}

void tk__backend_dev_close(tk_dev *dev)
{
	free_os(dev->os);
}

tk_os_handle tk__backend_dev_handle(const tk_dev *dev)
{
	return dev->os->rd_event;
}

/* ---- frames ---- */

/* Waits until the oldest read has completed (or failed), up to timeout_ms (-1 forever). */
static tk_status wait_head(tk_dev *dev, int timeout_ms, tk_error *err)
{
	struct tk__os_dev *o = dev->os;
	ULONGLONG deadline = GetTickCount64() + (ULONGLONG)(timeout_ms < 0 ? 0 : timeout_ms);
	/* Bounded: each pass either finds the head done or sleeps on the event; spurious wakes
	 * come only from the other reads completing, at most TK_WIN_READS per frame. */
	for (;;) {
		if (head_ready(o))
			return TK_OK;
		ResetEvent(o->rd_event);
		if (head_ready(o))
			return TK_OK;
		DWORD wait = INFINITE;
		if (timeout_ms >= 0) {
			ULONGLONG now = GetTickCount64();
			if (now >= deadline)
				return tk__error_set_quiet(err, TK_E_TIMEOUT, "wait", dev->name,
							   TK_OS_NONE, 0, "no frame within %d ms",
							   timeout_ms);
			wait = (DWORD)(deadline - now);
		}
		HANDLE events[2] = { o->rd_event, o->wake_event };
		DWORD w = WaitForMultipleObjects(2, events, FALSE, wait);
		if (w == WAIT_FAILED)
			return tk__errmap_win32(dev->ctx, err, TK_WIN_OP_GENERIC, "wait", dev->name,
						GetLastError(), "cannot wait for a frame");
		if (w == WAIT_OBJECT_0 + 1)
			return tk__error_set_quiet(err, TK_E_INTERRUPTED, "wait", dev->name,
						   TK_OS_NONE, 0, "woken by tk_dev_wake");
	}
}

tk_status tk__backend_dev_read(tk_dev *dev, void *buf, size_t cap, size_t *len, tk_error *err)
{
	struct tk__os_dev *o = dev->os;
	if (!head_ready(o)) {
		if (o->nonblocking)
			return tk__error_set_quiet(err, TK_E_AGAIN, "read", dev->name, TK_OS_NONE,
						   0, "no frame ready");
		tk_status st = wait_head(dev, -1, err);
		if (st != TK_OK)
			return st;
	}
	struct slot *s = &o->rd[o->rd_head];
	DWORD got = 0, rc = s->failed;
	if (s->pending && !GetOverlappedResult(o->h, &s->ov, &got, FALSE))
		rc = GetLastError();
	s->pending = false;
	o->rd_head = (o->rd_head + 1) % TK_WIN_READS;
	tk_status st = TK_OK;
	if (rc != ERROR_SUCCESS) {
		st = tk__errmap_win32(dev->ctx, err, TK_WIN_OP_IO, "read", dev->name, rc,
				      "cannot read a frame");
	} else if (got > cap) {
		st = tk__error_set(dev->ctx, err, TK_E_FRAME_TOO_BIG, "read", dev->name, TK_OS_NONE,
				   0, "a %lu-byte frame does not fit the %zu-byte buffer",
				   (unsigned long)got, cap);
	} else {
		memcpy(buf, s->buf, got);
		*len = got;
	}
	rd_issue(o, s);
	return st;
}

tk_status tk__backend_dev_write(tk_dev *dev, const void *frame, size_t len, tk_error *err)
{
	struct tk__os_dev *o = dev->os;
	/* tap-windows6 txpath: TAP frames need the 14-byte Ethernet header, TUN packets an IPv4
	 * header's 20 bytes; shorter ones fail with 122. Checked here to say why. */
	size_t min = dev->mode == TK_MODE_TUN ? 20 : 14;
	if (len < min)
		return tk__error_set(dev->ctx, err, TK_E_BAD_ARGUMENT, "write", dev->name,
				     TK_OS_NONE, 0, "a %zu-byte %s is too short (at least %zu)",
				     len, dev->mode == TK_MODE_TUN ? "packet" : "frame", min);
	if (len > o->bufsize)
		return tk__error_set(dev->ctx, err, TK_E_FRAME_TOO_BIG, "write", dev->name,
				     TK_OS_NONE, 0, "a %zu-byte frame is larger than %lu bytes",
				     len, (unsigned long)o->bufsize);
	struct slot *s = &o->wr[o->wr_next];
	if (s->pending) {
		DWORD got = 0;
		if (o->nonblocking && !HasOverlappedIoCompleted(&s->ov))
			return tk__error_set_quiet(err, TK_E_AGAIN, "write", dev->name, TK_OS_NONE,
						   0, "every write slot is busy");
		BOOL ok = GetOverlappedResult(o->h, &s->ov, &got, TRUE);
		s->pending = false;
		if (!ok)
			return tk__errmap_win32(
				dev->ctx, err, TK_WIN_OP_IO, "write", dev->name, GetLastError(),
				"an earlier write failed (this frame was not sent)");
	}
	memcpy(s->buf, frame, len);
	HANDLE ev = s->ov.hEvent;
	memset(&s->ov, 0, sizeof(s->ov));
	s->ov.hEvent = ev;
	if (!WriteFile(o->h, s->buf, (DWORD)len, NULL, &s->ov)) {
		DWORD rc = GetLastError();
		if (rc != ERROR_IO_PENDING)
			return tk__errmap_win32(dev->ctx, err, TK_WIN_OP_IO, "write", dev->name, rc,
						"cannot write a frame");
	}
	s->pending = true;
	o->wr_next = (o->wr_next + 1) % TK_WIN_WRITES;
	return TK_OK;
}

tk_status tk__backend_dev_wait(tk_dev *dev, int timeout_ms, tk_error *err)
{
	return wait_head(dev, timeout_ms, err);
}

tk_status tk__backend_dev_set_nonblocking(tk_dev *dev, bool on, tk_error *err)
{
	(void)err;
	dev->os->nonblocking = on;
	return TK_OK;
}

tk_status tk__backend_dev_set_offload(tk_dev *dev, uint32_t offloads, tk_error *err)
{
	tk__error_set(dev->ctx, err, TK_E_UNSUPPORTED, "set offload", dev->name, TK_OS_NONE, 0,
		      "TAP-Windows6 has no offloads (asked for 0x%x)", (unsigned)offloads);
	tk__error_remedy(err,
			 "leave offloads off on Windows; Windows segments before the TAP driver");
	return TK_E_UNSUPPORTED;
}

tk_status tk__backend_dev_set_carrier(tk_dev *dev, bool on, tk_error *err)
{
	ULONG v = on ? 1 : 0;
	DWORD got = 0;
	DWORD rc = tk__tapioctl_call(dev->os->h, TK_TAP_IOCTL_SET_MEDIA_STATUS, &v, sizeof(v), NULL,
				     0, &got);
	if (rc != ERROR_SUCCESS)
		return tk__errmap_win32(dev->ctx, err, TK_WIN_OP_IOCTL, "SET_MEDIA_STATUS",
					dev->name, rc, "cannot set the media status");
	return TK_OK;
}

tk_status tk__backend_dev_set_queue_enabled(tk_dev *dev, bool on, tk_error *err)
{
	(void)on;
	tk__error_set(dev->ctx, err, TK_E_UNSUPPORTED, "set queue", dev->name, TK_OS_NONE, 0,
		      "TAP-Windows6 has one queue per adapter");
	tk__error_remedy(err, "use one adapter per queue on Windows (`tapkit create` makes more)");
	return TK_E_UNSUPPORTED;
}

tk_status tk__backend_dev_set_persist(tk_dev *dev, bool on, tk_error *err)
{
	if (on)
		return TK_OK; /* Windows adapters always outlive the handle */
	tk__error_set(dev->ctx, err, TK_E_UNSUPPORTED, "set persist", dev->name, TK_OS_NONE, 0,
		      "TAP-Windows adapters always persist after close");
	tk__error_remedy(err, "delete the adapter when done: `tapkit delete NAME` (elevated)");
	return TK_E_UNSUPPORTED;
}

tk_status tk__backend_dev_wake(tk_dev *dev, tk_error *err)
{
	if (!SetEvent(dev->os->wake_event))
		return tk__error_set_quiet(err, TK_E_IO, "wake", dev->name, TK_OS_WIN32,
					   GetLastError(), "cannot set the wake event");
	return TK_OK;
}
