/* SPDX-License-Identifier: MIT */
/*
 * TEST CODE ONLY: never installed by tapkit, never shipped.
 *
 * A tiny WDM driver, hosted by Wine's winedevice, that speaks the user-mode protocol of
 * TAP-Windows6 (tap0901 9.27) so the Windows backend's open, ioctl, read and write paths run
 * against a device (see README.md beside this file). It creates two adapters,
 * \Device\{GUID}.tap with the link \DosDevices\Global\{GUID}.tap, cross-connected: a frame written
 * to one is read from the other.
 *
 * What it copies from the real driver (../../../../shared/reference/tap-windows6-detail.md):
 * the IOCTL codes and their size checks, one frame per read/write, reads left pending until a
 * frame arrives, STATUS_CANCELLED for I/O while the media is disconnected, STATUS_UNSUCCESSFUL for
 * a second open, CLEANUP dropping the link, flushing frames and cancelling pending reads, and the
 * owner slot freed only in CLOSE (Wine sends no CLEANUP, so CLOSE does both: README.md).
 *
 * Built freestanding (no C library): no memcpy/memset, tiny loops instead.
 */
#include <ntddk.h>

#define EMU_ADAPTERS  2
#define EMU_FRAME_MAX 1600 /* MTU 1500 + 18 + a priority tag, rounded up */
#define EMU_QUEUE     64   /* frames queued towards a reader; more are dropped */
#define EMU_MTU	      1500

#define EMU_IOCTL(n)		   CTL_CODE(FILE_DEVICE_UNKNOWN, n, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define EMU_IOCTL_GET_MAC	   EMU_IOCTL(1)
#define EMU_IOCTL_GET_VERSION	   EMU_IOCTL(2)
#define EMU_IOCTL_GET_MTU	   EMU_IOCTL(3)
#define EMU_IOCTL_GET_INFO	   EMU_IOCTL(4)
#define EMU_IOCTL_SET_MEDIA_STATUS EMU_IOCTL(6)
#define EMU_IOCTL_CONFIG_TUN	   EMU_IOCTL(10)
/* Test-only, not in tap-windows6: in ULONG 0 removes the PEER adapter (its link goes, its I/O
 * fails with STATUS_DEVICE_NOT_CONNECTED as a device removed under open I/O), 1 brings it back. */
#define EMU_IOCTL_TEST_PEER_PRESENT EMU_IOCTL(0x900)
/* Test-only: in ULONG major << 16 | minor becomes what GET_VERSION answers (0: 9.27 again), so
 * the doctor's "older than 9.9" path can be provoked. */
#define EMU_IOCTL_TEST_SET_VERSION EMU_IOCTL(0x901)

static ULONG emu_version = (9u << 16) | 27u; /* major << 16 | minor */

/* Fixed test GUIDs; tests/windows/emulated-driver/install.sh registers the same ones. */
static const WCHAR *const emu_guids[EMU_ADAPTERS] = {
	L"{7A3E5C01-0D1B-4C2A-9E11-5A1F00000001}",
	L"{7B4F6D02-0D1B-4C2A-9E11-5A1F00000002}",
};

struct emu_frame {
	ULONG len;
	UCHAR data[EMU_FRAME_MAX];
};

struct emu_adapter {
	PDEVICE_OBJECT self;
	PDEVICE_OBJECT peer;
	KSPIN_LOCK lock;     /* guards everything below */
	PFILE_OBJECT owner;  /* the one open handle, freed in CLOSE */
	BOOLEAN closing;     /* CLEANUP seen, CLOSE not yet */
	BOOLEAN connected;   /* media status */
	BOOLEAN tun;	     /* CONFIG_TUN given */
	LIST_ENTRY reads;    /* pending read IRPs, oldest first */
	ULONG q_head, q_len; /* frames waiting for a read */
	struct emu_frame q[EMU_QUEUE];
	UCHAR mac[6];
	BOOLEAN linked;
	BOOLEAN removed; /* EMU_IOCTL_TEST_PEER_PRESENT 0 from the peer */
	UNICODE_STRING name;
	WCHAR name_buf[64];
	UNICODE_STRING link;
	WCHAR link_buf[64];
	ULONG stat_dropped;
};

static PDEVICE_OBJECT emu_devices[EMU_ADAPTERS];

static void copy_bytes(UCHAR *dst, const UCHAR *src, ULONG n)
{
	for (ULONG i = 0; i < n; i++)
		dst[i] = src[i];
}

/* Appends a NUL-terminated wide string at *pos of buf (cap units), keeping a terminator. */
static void wappend(WCHAR *buf, ULONG cap, ULONG *pos, const WCHAR *s)
{
	while (*s && *pos + 1 < cap)
		buf[(*pos)++] = *s++;
	buf[*pos] = 0;
}

static void make_ustr(UNICODE_STRING *u, WCHAR *buf)
{
	ULONG n = 0;
	while (buf[n])
		n++;
	u->Buffer = buf;
	u->Length = (USHORT)(n * sizeof(WCHAR));
	u->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
}

static int hexval(WCHAR c)
{
	if (c >= L'0' && c <= L'9')
		return c - L'0';
	if (c >= L'a' && c <= L'f')
		return c - L'a' + 10;
	if (c >= L'A' && c <= L'F')
		return c - L'A' + 10;
	return 0;
}

static NTSTATUS complete(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
	irp->IoStatus.Status = st;
	irp->IoStatus.Information = info;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return st;
}

/* ---- pending reads: the cancel routine and the list share the adapter lock ---- */

static VOID emu_cancel_read(PDEVICE_OBJECT dev, PIRP irp)
{
	struct emu_adapter *a = dev->DeviceExtension;
	KIRQL irql;
	/* Called with the cancel spin lock held: drop it first, then our own lock. The entry was
	 * re-initialised by whoever took it off the list, so removing it again is harmless. */
	IoReleaseCancelSpinLock(irp->CancelIrql);
	KeAcquireSpinLock(&a->lock, &irql);
	RemoveEntryList(&irp->Tail.Overlay.ListEntry);
	InitializeListHead(&irp->Tail.Overlay.ListEntry);
	KeReleaseSpinLock(&a->lock, irql);
	complete(irp, STATUS_CANCELLED, 0);
}

/* Takes the oldest pending read that is not being cancelled; lock held. NULL if none. */
static PIRP take_read(struct emu_adapter *a)
{
	while (!IsListEmpty(&a->reads)) {
		PLIST_ENTRY e = RemoveHeadList(&a->reads);
		InitializeListHead(e);
		PIRP irp = CONTAINING_RECORD(e, IRP, Tail.Overlay.ListEntry);
		if (IoSetCancelRoutine(irp, NULL))
			return irp;
		/* The cancel routine runs (or is about to) and completes this one. */
	}
	return NULL;
}

/* Copies a frame into a read IRP's buffer and completes it; no lock held. */
static void fill_read(PIRP irp, const UCHAR *data, ULONG len)
{
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	if (sl->Parameters.Read.Length < len) {
		/* As tap-windows6: the frame is lost, the read fails (ERROR_MORE_DATA). */
		complete(irp, STATUS_BUFFER_OVERFLOW, 0);
		return;
	}
	copy_bytes(irp->AssociatedIrp.SystemBuffer, data, len);
	complete(irp, STATUS_SUCCESS, len);
}

/* Completes every pending read with `status` and drops queued frames. */
static void flush_with(struct emu_adapter *a, NTSTATUS status)
{
	LIST_ENTRY done;
	KIRQL irql;
	InitializeListHead(&done);
	KeAcquireSpinLock(&a->lock, &irql);
	PIRP irp;
	while ((irp = take_read(a)))
		InsertTailList(&done, &irp->Tail.Overlay.ListEntry);
	a->q_head = 0;
	a->q_len = 0;
	KeReleaseSpinLock(&a->lock, irql);
	while (!IsListEmpty(&done)) {
		PLIST_ENTRY e = RemoveHeadList(&done);
		complete(CONTAINING_RECORD(e, IRP, Tail.Overlay.ListEntry), status, 0);
	}
}

static void flush(struct emu_adapter *a)
{
	flush_with(a, STATUS_CANCELLED);
}

/* Hands a frame written to one adapter to its peer: to the oldest pending read, else to the
 * queue, else dropped (success for the writer, as a busy network would do). */
static void deliver(struct emu_adapter *to, const UCHAR *data, ULONG len)
{
	KIRQL irql;
	KeAcquireSpinLock(&to->lock, &irql);
	if (!to->owner || to->closing || !to->connected || to->removed) {
		to->stat_dropped++;
		KeReleaseSpinLock(&to->lock, irql);
		return;
	}
	PIRP irp = take_read(to);
	if (!irp) {
		if (to->q_len < EMU_QUEUE) {
			struct emu_frame *f = &to->q[(to->q_head + to->q_len) % EMU_QUEUE];
			copy_bytes(f->data, data, len);
			f->len = len;
			to->q_len++;
		} else {
			to->stat_dropped++;
		}
	}
	KeReleaseSpinLock(&to->lock, irql);
	if (irp)
		fill_read(irp, data, len);
}

/* ---- dispatch ---- */

static NTSTATUS emu_create(PDEVICE_OBJECT dev, PIRP irp)
{
	struct emu_adapter *a = dev->DeviceExtension;
	PFILE_OBJECT fo = IoGetCurrentIrpStackLocation(irp)->FileObject;
	KIRQL irql;
	NTSTATUS st = STATUS_SUCCESS;
	KeAcquireSpinLock(&a->lock, &irql);
	if (a->owner) {
		st = STATUS_UNSUCCESSFUL; /* any second open, even by the same process */
	} else {
		a->owner = fo;
		a->closing = FALSE;
		a->connected = FALSE; /* MediaStatus 0: application controlled */
		a->tun = FALSE;
	}
	KeReleaseSpinLock(&a->lock, irql);
	return complete(irp, st, 0);
}

static NTSTATUS emu_cleanup(PDEVICE_OBJECT dev, PIRP irp)
{
	struct emu_adapter *a = dev->DeviceExtension;
	PFILE_OBJECT fo = IoGetCurrentIrpStackLocation(irp)->FileObject;
	KIRQL irql;
	BOOLEAN mine;
	KeAcquireSpinLock(&a->lock, &irql);
	mine = a->owner == fo;
	if (mine) {
		a->closing = TRUE;
		a->connected = FALSE;
		a->tun = FALSE;
	}
	KeReleaseSpinLock(&a->lock, irql);
	if (mine)
		flush(a);
	return complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS emu_close(PDEVICE_OBJECT dev, PIRP irp)
{
	struct emu_adapter *a = dev->DeviceExtension;
	PFILE_OBJECT fo = IoGetCurrentIrpStackLocation(irp)->FileObject;
	KIRQL irql;
	BOOLEAN mine;
	/* Wine sends no IRP_MJ_CLEANUP (only CLOSE, after it cancelled the handle's pending
	 * IRPs), so CLOSE also does what CLEANUP does on Windows. */
	KeAcquireSpinLock(&a->lock, &irql);
	mine = a->owner == fo;
	if (mine) {
		a->owner = NULL;
		a->closing = FALSE;
		a->connected = FALSE;
		a->tun = FALSE;
	}
	KeReleaseSpinLock(&a->lock, irql);
	if (mine)
		flush(a);
	return complete(irp, STATUS_SUCCESS, 0);
}

/* Wine ignores the status of IRP_MJ_CREATE (the server does not wait for it), so a refused
 * second open still gets a handle; every request on it then fails as the open would have:
 * STATUS_UNSUCCESSFUL, Win32 31. The owner's requests fail once the adapter was removed. */
static NTSTATUS handle_status(struct emu_adapter *a, PFILE_OBJECT fo)
{
	KIRQL irql;
	KeAcquireSpinLock(&a->lock, &irql);
	NTSTATUS st = a->owner != fo ? STATUS_UNSUCCESSFUL
		      : a->removed   ? STATUS_DEVICE_NOT_CONNECTED
				     : STATUS_SUCCESS;
	KeReleaseSpinLock(&a->lock, irql);
	return st;
}

/* Removes (present false) or restores the adapter: its link, and its I/O. */
static void set_present(struct emu_adapter *a, BOOLEAN present)
{
	KIRQL irql;
	KeAcquireSpinLock(&a->lock, &irql);
	a->removed = !present;
	KeReleaseSpinLock(&a->lock, irql);
	if (!present) {
		if (a->linked)
			IoDeleteSymbolicLink(&a->link);
		a->linked = FALSE;
		flush_with(a, STATUS_DEVICE_NOT_CONNECTED);
	} else if (!a->linked) {
		a->linked = NT_SUCCESS(IoCreateSymbolicLink(&a->link, &a->name));
	}
}

/* Whether this handle may do I/O now: the owner, not closing, media connected. */
static BOOLEAN io_allowed(struct emu_adapter *a, PFILE_OBJECT fo)
{
	return a->owner == fo && !a->closing && a->connected;
}

static NTSTATUS emu_read(PDEVICE_OBJECT dev, PIRP irp)
{
	struct emu_adapter *a = dev->DeviceExtension;
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	KIRQL irql;
	NTSTATUS hs = handle_status(a, sl->FileObject);
	if (!NT_SUCCESS(hs))
		return complete(irp, hs, 0);
	if (sl->Parameters.Read.Length == 0)
		return complete(irp, STATUS_INVALID_PARAMETER, 0);
	KeAcquireSpinLock(&a->lock, &irql);
	if (!io_allowed(a, sl->FileObject)) {
		KeReleaseSpinLock(&a->lock, irql);
		return complete(irp, STATUS_CANCELLED, 0);
	}
	if (a->q_len && IsListEmpty(&a->reads)) {
		/* A frame is waiting and no older read: take it now. The real driver always
		 * returns STATUS_PENDING; completing at once is equally valid for a caller. */
		struct emu_frame *f = &a->q[a->q_head];
		a->q_head = (a->q_head + 1) % EMU_QUEUE;
		a->q_len--;
		/* Copied under the lock: the slot may be reused as soon as it is released. */
		NTSTATUS st = STATUS_SUCCESS;
		ULONG n = 0;
		if (sl->Parameters.Read.Length < f->len) {
			st = STATUS_BUFFER_OVERFLOW;
		} else {
			copy_bytes(irp->AssociatedIrp.SystemBuffer, f->data, f->len);
			n = f->len;
		}
		KeReleaseSpinLock(&a->lock, irql);
		return complete(irp, st, n);
	}
	IoMarkIrpPending(irp);
	IoSetCancelRoutine(irp, emu_cancel_read);
	if (irp->Cancel && IoSetCancelRoutine(irp, NULL)) {
		/* Cancelled before the routine was set, and nobody else will complete it. */
		KeReleaseSpinLock(&a->lock, irql);
		complete(irp, STATUS_CANCELLED, 0);
		return STATUS_PENDING;
	}
	InsertTailList(&a->reads, &irp->Tail.Overlay.ListEntry);
	KeReleaseSpinLock(&a->lock, irql);
	return STATUS_PENDING;
}

static NTSTATUS emu_write(PDEVICE_OBJECT dev, PIRP irp)
{
	struct emu_adapter *a = dev->DeviceExtension;
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	ULONG len = sl->Parameters.Write.Length;
	KIRQL irql;
	BOOLEAN ok, tun;
	NTSTATUS hs = handle_status(a, sl->FileObject);
	if (!NT_SUCCESS(hs))
		return complete(irp, hs, 0);
	if (len == 0)
		return complete(irp, STATUS_INVALID_PARAMETER, 0);
	KeAcquireSpinLock(&a->lock, &irql);
	ok = io_allowed(a, sl->FileObject);
	tun = a->tun;
	KeReleaseSpinLock(&a->lock, irql);
	if (!ok)
		return complete(irp, STATUS_CANCELLED, 0);
	if (len < (tun ? 20u : 14u))
		return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
	if (len > EMU_FRAME_MAX)
		return complete(irp, STATUS_INVALID_PARAMETER, 0);
	deliver(a->peer->DeviceExtension, irp->AssociatedIrp.SystemBuffer, len);
	return complete(irp, STATUS_SUCCESS, len);
}

static NTSTATUS emu_ioctl(PDEVICE_OBJECT dev, PIRP irp)
{
	struct emu_adapter *a = dev->DeviceExtension;
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	ULONG in = sl->Parameters.DeviceIoControl.InputBufferLength;
	ULONG out = sl->Parameters.DeviceIoControl.OutputBufferLength;
	ULONG *buf = irp->AssociatedIrp.SystemBuffer;
	KIRQL irql;

	NTSTATUS hs = handle_status(a, sl->FileObject);
	if (!NT_SUCCESS(hs))
		return complete(irp, hs, 0);
	switch (sl->Parameters.DeviceIoControl.IoControlCode) {
	case EMU_IOCTL_GET_MAC:
		if (out < 6)
			return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
		copy_bytes((UCHAR *)buf, a->mac, 6);
		return complete(irp, STATUS_SUCCESS, 6);
	case EMU_IOCTL_GET_VERSION:
		if (out < 3 * sizeof(ULONG))
			return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
		buf[0] = emu_version >> 16;
		buf[1] = emu_version & 0xffffu;
		buf[2] = 0;
		return complete(irp, STATUS_SUCCESS, 3 * sizeof(ULONG));
	case EMU_IOCTL_GET_MTU:
		if (out < sizeof(ULONG))
			return complete(irp, STATUS_BUFFER_TOO_SMALL, 0);
		buf[0] = EMU_MTU;
		return complete(irp, STATUS_SUCCESS, sizeof(ULONG));
	case EMU_IOCTL_SET_MEDIA_STATUS: {
		if (in < sizeof(ULONG))
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		BOOLEAN on = buf[0] != 0;
		KeAcquireSpinLock(&a->lock, &irql);
		a->connected = on;
		KeReleaseSpinLock(&a->lock, irql);
		if (!on)
			flush(a); /* link down: pending reads fail, queued frames go */
		/* Information 1 as the real driver; only reported if there is an output buffer. */
		return complete(irp, STATUS_SUCCESS, out ? 1 : 0);
	}
	case EMU_IOCTL_CONFIG_TUN: {
		if (in < 3 * sizeof(ULONG))
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		/* local, remote network, remote netmask (network order): the network must be
		 * aligned to its mask; 0/0/0 is legal. */
		if ((buf[1] & buf[2]) != buf[1])
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		KeAcquireSpinLock(&a->lock, &irql);
		a->tun = TRUE;
		KeReleaseSpinLock(&a->lock, irql);
		return complete(irp, STATUS_SUCCESS, out ? 1 : 0);
	}
	case EMU_IOCTL_TEST_PEER_PRESENT:
		if (in < sizeof(ULONG))
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		set_present(a->peer->DeviceExtension, buf[0] != 0);
		return complete(irp, STATUS_SUCCESS, 0);
	case EMU_IOCTL_TEST_SET_VERSION:
		if (in < sizeof(ULONG))
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		emu_version = buf[0] ? buf[0] : (9u << 16) | 27u;
		return complete(irp, STATUS_SUCCESS, 0);
	case EMU_IOCTL_GET_INFO: /* always fails in 9.27 */
	default:
		return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	}
}

/* ---- load and unload ---- */

static VOID emu_unload(PDRIVER_OBJECT drv)
{
	(void)drv;
	for (int i = 0; i < EMU_ADAPTERS; i++) {
		PDEVICE_OBJECT d = emu_devices[i];
		if (!d)
			continue;
		struct emu_adapter *a = d->DeviceExtension;
		if (a->linked)
			IoDeleteSymbolicLink(&a->link);
		/* The adapter goes away under open I/O: Win32 1167, as when Windows removes or
		 * disables a TAP adapter that a program holds open. */
		flush_with(a, STATUS_DEVICE_NOT_CONNECTED);
		IoDeleteDevice(d);
		emu_devices[i] = NULL;
	}
}

static NTSTATUS create_adapter(PDRIVER_OBJECT drv, int i)
{
	WCHAR name_buf[64];
	UNICODE_STRING name;
	ULONG pos = 0;
	PDEVICE_OBJECT d;

	wappend(name_buf, 64, &pos, L"\\Device\\");
	wappend(name_buf, 64, &pos, emu_guids[i]);
	wappend(name_buf, 64, &pos, L".tap");
	make_ustr(&name, name_buf);
	NTSTATUS st = IoCreateDevice(drv, sizeof(struct emu_adapter), &name, FILE_DEVICE_UNKNOWN,
				     FILE_DEVICE_SECURE_OPEN, FALSE, &d);
	if (!NT_SUCCESS(st))
		return st;
	struct emu_adapter *a = d->DeviceExtension;
	UCHAR *raw = (UCHAR *)a;
	for (ULONG k = 0; k < sizeof(*a); k++)
		raw[k] = 0;
	copy_bytes((UCHAR *)a->name_buf, (const UCHAR *)name_buf, sizeof(a->name_buf));
	make_ustr(&a->name, a->name_buf);
	emu_devices[i] = d;
	a->self = d;
	KeInitializeSpinLock(&a->lock);
	InitializeListHead(&a->reads);
	/* 00:FF and the first 4 bytes of the GUID, as tap-windows6 derives its default MAC. */
	a->mac[0] = 0x00;
	a->mac[1] = 0xFF;
	for (int k = 0; k < 4; k++)
		a->mac[2 + k] = (UCHAR)(hexval(emu_guids[i][1 + 2 * k]) << 4 |
					hexval(emu_guids[i][2 + 2 * k]));
	pos = 0;
	wappend(a->link_buf, 64, &pos, L"\\DosDevices\\Global\\");
	wappend(a->link_buf, 64, &pos, emu_guids[i]);
	wappend(a->link_buf, 64, &pos, L".tap");
	make_ustr(&a->link, a->link_buf);
	st = IoCreateSymbolicLink(&a->link, &a->name);
	if (!NT_SUCCESS(st))
		return st;
	a->linked = TRUE;
	d->Flags |= DO_BUFFERED_IO;
	d->Flags &= ~DO_DEVICE_INITIALIZING;
	return STATUS_SUCCESS;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg);

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
	(void)reg;
	drv->MajorFunction[IRP_MJ_CREATE] = emu_create;
	drv->MajorFunction[IRP_MJ_CLEANUP] = emu_cleanup;
	drv->MajorFunction[IRP_MJ_CLOSE] = emu_close;
	drv->MajorFunction[IRP_MJ_READ] = emu_read;
	drv->MajorFunction[IRP_MJ_WRITE] = emu_write;
	drv->MajorFunction[IRP_MJ_DEVICE_CONTROL] = emu_ioctl;
	drv->DriverUnload = emu_unload;
	for (int i = 0; i < EMU_ADAPTERS; i++) {
		NTSTATUS st = create_adapter(drv, i);
		if (!NT_SUCCESS(st)) {
			emu_unload(drv);
			return st;
		}
	}
	for (int i = 0; i < EMU_ADAPTERS; i++) {
		struct emu_adapter *a = emu_devices[i]->DeviceExtension;
		a->peer = emu_devices[(i + 1) % EMU_ADAPTERS];
	}
	return STATUS_SUCCESS;
}
