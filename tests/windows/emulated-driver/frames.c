/* SPDX-License-Identifier: MIT */
/*
 * TEST CODE ONLY. Drives the emulated tap0901 adapters (tapemu.sys) through tapkit's public API
 * only, so the Windows backend's open, ioctl, read and write paths run against a device.
 * Prints one line per fact checked; exits 0 when every check passed.
 *
 *   frames.exe burst A B COUNT   COUNT frames each way, varied sizes, each checked byte for byte
 *   frames.exe busy A            a second open of A is refused (31) and the slot freed on close
 *   frames.exe carrier A B       media status off/on and its effect on I/O
 *   frames.exe pending A         close with reads pending (the caller bounds it with timeout)
 *   frames.exe info A            prints the open's debug log (driver version, MTU)
 *   frames.exe vanish A          the device removed while open (the caller removes it with
 *                                ioctl.exe PEER remove-peer after "ready", restores it after "gone")
 */
#include <tapkit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h> /* Sleep */

#define FRAME_MIN 20
#define FRAME_MAX 1514
#define WINDOW	  8 /* frames sent before reading them back: below the driver's 64-frame queue */

static int failures;

static void check(int ok, const char *what, const tk_error *err)
{
	char buf[1024];
	if (ok) {
		printf("ok   %s\n", what);
		return;
	}
	failures++;
	printf("FAIL %s: %s\n", what, err ? tk_error_format(err, buf, sizeof(buf)) : "");
}

static void log_line(void *user, const tk_log_record *rec)
{
	(void)user;
	printf("log  %s: %s\n", rec->subsystem, rec->message);
}

static tk_status open_dev(tk_ctx *ctx, const char *name, tk_dev **out, tk_error *err)
{
	tk_open_opts o = { .name = name, .mode = TK_MODE_TAP, .flags = 0 };
	memset(err, 0, sizeof(*err));
	return tk_dev_open(ctx, &o, out, err);
}

/* Frame `seq` of direction `dir`: a 14-byte header (locally administered MACs, EtherType
 * 0x88B5 for local experiments), then the sequence number and a pattern from both. */
static size_t make_frame(unsigned char *f, unsigned dir, unsigned seq)
{
	size_t len = FRAME_MIN + (seq * 97u + dir * 13u) % (FRAME_MAX - FRAME_MIN + 1);
	static const unsigned char dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	memcpy(f, dst, 6);
	f[5] = (unsigned char)(1 + dir);
	memcpy(f + 6, dst, 6);
	f[11] = (unsigned char)(2 - dir);
	f[12] = 0x88;
	f[13] = 0xB5;
	f[14] = (unsigned char)dir;
	f[15] = (unsigned char)(seq >> 16);
	f[16] = (unsigned char)(seq >> 8);
	f[17] = (unsigned char)seq;
	for (size_t i = 18; i < len; i++)
		f[i] = (unsigned char)(i * 31u + seq * 7u + dir);
	return len;
}

/* Reads one frame (waiting at most 2 s) and compares it with the expected one. */
static int expect_frame(tk_dev *d, unsigned dir, unsigned seq, tk_error *err)
{
	static unsigned char want[FRAME_MAX], got[TK_FRAME_BUF_MAX];
	size_t wlen = make_frame(want, dir, seq), glen = 0;
	if (tk_dev_wait(d, 2000, err) != TK_OK)
		return 0;
	if (tk_dev_read(d, got, sizeof(got), &glen, err) != TK_OK)
		return 0;
	if (glen != wlen || memcmp(got, want, wlen) != 0) {
		printf("     frame %u dir %u: got %zu bytes (seq %u), want %zu\n", seq, dir, glen,
		       glen >= 18 ? (unsigned)(got[15] << 16 | got[16] << 8 | got[17]) : 0u, wlen);
		return 0;
	}
	return 1;
}

static int burst(tk_ctx *ctx, const char *na, const char *nb, unsigned count)
{
	tk_dev *a = NULL, *b = NULL;
	tk_error err;
	static unsigned char f[FRAME_MAX];
	check(open_dev(ctx, na, &a, &err) == TK_OK, "open A", &err);
	if (!a)
		return 1;
	check(open_dev(ctx, nb, &b, &err) == TK_OK, "open B", &err);
	if (!b) {
		tk_dev_close(a);
		return 1;
	}
	/* Nothing is waiting yet: a bounded wait times out. */
	check(tk_dev_wait(b, 100, &err) == TK_E_TIMEOUT, "wait on an idle adapter times out", &err);
	unsigned ok_ab = 0, ok_ba = 0;
	size_t bytes = 0;
	for (unsigned base = 0; base < count; base += WINDOW) {
		unsigned n = count - base < WINDOW ? count - base : WINDOW;
		for (unsigned i = 0; i < n; i++) {
			size_t len = make_frame(f, 0, base + i);
			bytes += len;
			if (tk_dev_write(a, f, len, &err) != TK_OK) {
				check(0, "write A->B", &err);
				goto out;
			}
			len = make_frame(f, 1, base + i);
			if (tk_dev_write(b, f, len, &err) != TK_OK) {
				check(0, "write B->A", &err);
				goto out;
			}
		}
		for (unsigned i = 0; i < n; i++) {
			if (!expect_frame(b, 0, base + i, &err)) {
				check(0, "read A->B", &err);
				goto out;
			}
			ok_ab++;
			if (!expect_frame(a, 1, base + i, &err)) {
				check(0, "read B->A", &err);
				goto out;
			}
			ok_ba++;
		}
	}
out:
	printf("     %u/%u frames A->B and %u/%u B->A checked (%zu bytes one way)\n", ok_ab, count,
	       ok_ba, count, bytes);
	check(ok_ab == count && ok_ba == count, "every frame arrived intact and in order", NULL);
	/* A runt is refused before it reaches the driver. */
	check(tk_dev_write(a, f, 10, &err) == TK_E_BAD_ARGUMENT, "a 10-byte frame is refused",
	      &err);
	tk_dev_close(a);
	tk_dev_close(b);
	return failures != 0;
}

static int busy(tk_ctx *ctx, const char *na)
{
	tk_dev *a = NULL, *a2 = NULL;
	tk_error err;
	check(open_dev(ctx, na, &a, &err) == TK_OK, "first open", &err);
	if (!a)
		return 1;
	tk_status st = open_dev(ctx, na, &a2, &err);
	printf("     second open: %s: %s\n", tk_status_name(st), err.message);
	/* On Windows the driver fails the CreateFile itself (31, TK_E_ADAPTER_BUSY). Wine ignores
	 * the status of IRP_MJ_CREATE, so the emulated driver refuses the second handle's first
	 * request instead; tapkit maps a 31 inside open like CreateFile's: in use. */
	check(st == TK_E_ADAPTER_BUSY && err.os_kind == TK_OS_WIN32 && err.os_code == 31,
	      "a second open is refused as TK_E_ADAPTER_BUSY with win32 31 (ERROR_GEN_FAILURE)",
	      &err);
	tk_dev_close(a2);
	tk_dev_close(a);
	/* The slot is free again after the close. */
	st = open_dev(ctx, na, &a, &err);
	check(st == TK_OK, "reopen after close", &err);
	tk_dev_close(a);
	return failures != 0;
}

static int carrier(tk_ctx *ctx, const char *na, const char *nb)
{
	tk_dev *a = NULL, *b = NULL;
	tk_error err;
	unsigned char f[FRAME_MAX], got[TK_FRAME_BUF_MAX];
	size_t len = make_frame(f, 0, 7), glen = 0;
	if (open_dev(ctx, na, &a, &err) != TK_OK || open_dev(ctx, nb, &b, &err) != TK_OK) {
		check(0, "open A and B", &err);
		goto out;
	}
	check(tk_dev_set_carrier(a, false, &err) == TK_OK, "media status disconnected", &err);
	check(tk_dev_write(a, f, len, &err) == TK_E_LINK_DOWN,
	      "a write while disconnected fails with TK_E_LINK_DOWN", &err);
	/* The disconnect failed the reads that were in flight: each reports the link down once. */
	tk_status st = tk_dev_read(a, got, sizeof(got), &glen, &err);
	check(st == TK_E_LINK_DOWN, "a read while disconnected fails with TK_E_LINK_DOWN", &err);
	check(tk_dev_set_carrier(a, true, &err) == TK_OK, "media status connected", &err);
	for (int i = 0; i < 8 && tk_dev_wait(a, 0, &err) == TK_OK; i++)
		if (tk_dev_read(a, got, sizeof(got), &glen, &err) == TK_OK)
			break; /* drains the failed reads; no frame is expected here */
	check(tk_dev_write(a, f, len, &err) == TK_OK, "a write after reconnecting", &err);
	check(expect_frame(b, 0, 7, &err), "its frame arrives", &err);
	len = make_frame(f, 1, 8);
	check(tk_dev_write(b, f, len, &err) == TK_OK, "a write towards the reconnected adapter",
	      &err);
	check(expect_frame(a, 1, 8, &err), "the reconnected adapter reads it", &err);
out:
	tk_dev_close(a);
	tk_dev_close(b);
	return failures != 0;
}

static int pending(tk_ctx *ctx, const char *na)
{
	tk_dev *a = NULL;
	tk_error err;
	for (int round = 0; round < 20; round++) {
		if (open_dev(ctx, na, &a, &err) != TK_OK) {
			check(0, "open with reads pending", &err);
			return 1;
		}
		tk_dev_close(a); /* four reads were in flight */
	}
	check(1, "20 opens closed with four reads pending each", NULL);
	return 0;
}

static int vanish(tk_ctx *ctx, const char *na)
{
	tk_dev *a = NULL;
	tk_error err;
	unsigned char got[TK_FRAME_BUF_MAX];
	size_t glen;
	if (open_dev(ctx, na, &a, &err) != TK_OK) {
		check(0, "open", &err);
		return 1;
	}
	printf("ready\n");
	tk_status st = tk_dev_wait(a, 20000, &err);
	if (st == TK_OK)
		st = tk_dev_read(a, got, sizeof(got), &glen, &err);
	printf("     read after removal: %s: %s\n", tk_status_name(st), err.message);
	check(st == TK_E_DEVICE_VANISHED, "the removed device is reported as vanished", &err);
	tk_dev_close(a);
	a = NULL;
	st = open_dev(ctx, na, &a, &err);
	printf("     open while removed: %s: %s\n", tk_status_name(st), err.message);
	check(st != TK_OK, "it cannot be opened while removed", &err);
	tk_dev_close(a);
	a = NULL;
	printf("gone\n");
	/* Bounded: 100 tries 200 ms apart. */
	for (int i = 0; i < 100; i++) {
		st = open_dev(ctx, na, &a, &err);
		if (st == TK_OK)
			break;
		Sleep(200);
	}
	check(st == TK_OK, "it opens again once it is back", &err);
	tk_dev_close(a);
	return failures != 0;
}

int main(int argc, char **argv)
{
	tk_ctx *ctx = NULL;
	tk_error err;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 3) {
		fprintf(stderr,
			"usage: frames.exe burst|busy|carrier|pending|info|vanish A [B] [N]\n");
		return 2;
	}
	if (tk_ctx_new(&ctx, &err) != TK_OK)
		return 2;
	int rc = 2;
	const char *cmd = argv[1];
	if (!strcmp(cmd, "burst") && argc >= 5)
		rc = burst(ctx, argv[2], argv[3], (unsigned)strtoul(argv[4], NULL, 10));
	else if (!strcmp(cmd, "busy"))
		rc = busy(ctx, argv[2]);
	else if (!strcmp(cmd, "carrier") && argc >= 4)
		rc = carrier(ctx, argv[2], argv[3]);
	else if (!strcmp(cmd, "pending"))
		rc = pending(ctx, argv[2]);
	else if (!strcmp(cmd, "vanish"))
		rc = vanish(ctx, argv[2]);
	else if (!strcmp(cmd, "info")) {
		tk_dev *a = NULL;
		tk_ctx_set_logger(ctx, log_line, NULL, TK_LOG_DEBUG);
		check(open_dev(ctx, argv[2], &a, &err) == TK_OK, "open", &err);
		if (a)
			printf("name %s\n", tk_dev_name(a));
		tk_dev_close(a);
		rc = failures != 0;
	}
	tk_ctx_free(ctx);
	return rc;
}
