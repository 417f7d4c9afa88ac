/* SPDX-License-Identifier: MIT */
/*
 * `tapkit open NAME`: opens an adapter and holds it until SIGINT/SIGTERM, a timeout, or (with
 * --read) a number of frames. Useful to give an adapter its carrier, to test what holds what,
 * and to watch frames arrive.
 */
#include "cli.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(_WIN32)
#include <process.h>
#define cli_getpid() _getpid()
#else
#include <unistd.h>
#define cli_getpid() getpid()
#endif

static const char open_usage[] =
	"usage: tapkit open NAME [--tun] [--multi-queue] [--vnet-hdr] [--no-create]\n"
	"                        [--timeout SECONDS] [--read [--count N]]\n"
	"\n"
	"Opens the adapter (creating a temporary one if NAME does not exist, unless\n"
	"--no-create) and holds it open: prints \"opened NAME pid PID\", then waits for\n"
	"SIGINT or SIGTERM, the timeout, or N frames. Exits 0 then. Frames that arrive\n"
	"are read and dropped; with --read each is printed as\n"
	"  frame N len L SRCMAC > DSTMAC type 0xXXXX\n"
	"A failure while holding (the adapter was deleted) is reported like any other.\n"
	"\n"
	"Options:\n"
	"  --tun               open as TUN (IP packets) instead of TAP\n"
	"  --multi-queue       attach one more queue of a multi-queue adapter\n"
	"  --vnet-hdr          frames carry a virtio-net header (skipped when printing)\n"
	"  --no-create         fail with exit 4 if the adapter does not exist\n"
	"  --timeout SECONDS   stop after this long (decimals allowed: 0.5)\n"
	"  --read              print one line per frame\n"
	"  --count N           with --read: stop after N frames\n"
	"  --help              this help\n"
	"\n"
	"Examples:\n"
	"  tapkit open tap0 &                  # hold tap0: carrier on\n"
	"  tapkit open tap0 --no-create --read --count 5 --timeout 10\n";

/* How often the wait wakes to look at the stop flag and the deadline. */
#define OPEN_TICK_MS 100

static volatile sig_atomic_t open_stop;

static void open_on_signal(int sig)
{
	(void)sig;
	open_stop = 1;
}

static void open_signals(void)
{
#if defined(_WIN32)
	signal(SIGINT, open_on_signal);
	signal(SIGTERM, open_on_signal);
#else
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = open_on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a wait or read in progress must return EINTR to see the flag. */
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
#endif
}

static uint64_t now_ms(void)
{
	struct timespec ts;

#if defined(_WIN32)
	/* msvcrt (Debian's mingw-w64) has no timespec_get; winpthreads has clock_gettime. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
#else
	clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum { OPT_TUN, OPT_MQ, OPT_VNET, OPT_NO_CREATE, OPT_TIMEOUT, OPT_READ, OPT_COUNT };

struct open_run {
	tk_dev *dev;
	bool print;	   /* --read */
	bool vnet;	   /* skip the virtio-net header */
	uint32_t count;	   /* --count, 0: no limit */
	uint64_t frames;   /* frames read so far */
	bool has_deadline; /* --timeout */
	uint64_t deadline; /* now_ms() value */
	uint8_t *buf;
};

static int open_parse(struct cli *cli, const struct cli_opt *opts, tk_open_opts *o,
		      struct open_run *r)
{
	uint64_t ms;

	o->mode = opts[OPT_TUN].seen ? TK_MODE_TUN : TK_MODE_TAP;
	/* Non-blocking: a frame announced by the wait is read without risk of blocking. */
	o->flags = TK_OPEN_NONBLOCK;
	if (opts[OPT_MQ].seen)
		o->flags |= TK_OPEN_MULTI_QUEUE;
	if (opts[OPT_VNET].seen)
		o->flags |= TK_OPEN_VNET_HDR;
	if (opts[OPT_NO_CREATE].seen)
		o->flags |= TK_OPEN_NO_CREATE;
	r->vnet = opts[OPT_VNET].seen;
	r->print = opts[OPT_READ].seen;
	if (opts[OPT_TIMEOUT].seen) {
		if (!cli_parse_seconds(opts[OPT_TIMEOUT].value, &ms))
			return cli_usage_error(
				cli, "invalid timeout \"%s\": expected seconds such as 5 or 0.5",
				opts[OPT_TIMEOUT].value);
		r->has_deadline = true;
		r->deadline = now_ms() + ms;
	}
	if (opts[OPT_COUNT].seen) {
		if (!r->print)
			return cli_usage_error(cli, "--count needs --read");
		if (!cli_parse_u32(opts[OPT_COUNT].value, 1, UINT32_MAX, &r->count))
			return cli_usage_error(
				cli, "invalid count \"%s\": expected a number from 1 to 4294967295",
				opts[OPT_COUNT].value);
	}
	return 0;
}

/* "frame N len L SRCMAC > DSTMAC type 0xXXXX"; for TUN the type comes from the IP version. */
static void frame_print(uint64_t n, const uint8_t *p, size_t len, tk_mode mode)
{
	char src[32], dst[32];
	unsigned int type = 0;

	if (mode == TK_MODE_TUN) {
		if (len > 0 && p[0] >> 4 == 4)
			type = 0x0800;
		else if (len > 0 && p[0] >> 4 == 6)
			type = 0x86dd;
		printf("frame %" PRIu64 " len %zu type 0x%04x\n", n, len, type);
	} else if (len < 14) {
		printf("frame %" PRIu64 " len %zu (runt)\n", n, len);
	} else {
		type = (unsigned int)p[12] << 8 | p[13];
		printf("frame %" PRIu64 " len %zu %s > %s type 0x%04x\n", n, len,
		       tk_mac_format(p + 6, src, sizeof(src)), tk_mac_format(p, dst, sizeof(dst)),
		       type);
	}
	fflush(stdout);
}

/*
 * Reads what is ready (at most a burst, so the stop flag is seen under a flood). Returns
 * TK_OK, TK_E_AGAIN when nothing more is ready, or the failure.
 */
static tk_status open_drain(struct open_run *r, tk_mode mode, tk_error *err)
{
	for (int burst = 0; burst < 64 && !open_stop; burst++) {
		size_t len = 0, skip;
		tk_status st = tk_dev_read(r->dev, r->buf, TK_FRAME_BUF_MAX, &len, err);

		if (st == TK_E_AGAIN || st == TK_E_INTERRUPTED)
			return TK_E_AGAIN;
		if (st != TK_OK)
			return st;
		r->frames++;
		skip = r->vnet && len >= TK_VNET_HDR_LEN ? TK_VNET_HDR_LEN : 0;
		if (r->print)
			frame_print(r->frames, r->buf + skip, len - skip, mode);
		if (r->count && r->frames >= r->count) {
			open_stop = 1;
			break;
		}
	}
	return TK_OK;
}

static int open_hold(struct cli *cli, struct open_run *r)
{
	tk_mode mode = tk_dev_mode(r->dev);
	tk_error err = { 0 };

	while (!open_stop) {
		int wait_ms = OPEN_TICK_MS;
		tk_status st;

		if (r->has_deadline) {
			uint64_t now = now_ms();

			if (now >= r->deadline)
				break;
			if (r->deadline - now < OPEN_TICK_MS)
				wait_ms = (int)(r->deadline - now);
		}
		st = tk_dev_wait(r->dev, wait_ms, &err);
		if (st == TK_E_TIMEOUT || st == TK_E_INTERRUPTED)
			continue;
		if (st == TK_OK)
			st = open_drain(r, mode, &err);
		if (st != TK_OK && st != TK_E_AGAIN)
			return cli_fail(cli, st, &err);
	}
	return CLI_EXIT_OK;
}

static int open_run(struct cli *cli, int argc, char **argv)
{
	struct cli_opt opts[] = {
		[OPT_TUN] = { .name = "--tun" },
		[OPT_MQ] = { .name = "--multi-queue" },
		[OPT_VNET] = { .name = "--vnet-hdr" },
		[OPT_NO_CREATE] = { .name = "--no-create" },
		[OPT_TIMEOUT] = { .name = "--timeout", .takes_value = true },
		[OPT_READ] = { .name = "--read" },
		[OPT_COUNT] = { .name = "--count", .takes_value = true },
	};
	struct open_run r = { 0 };
	tk_open_opts o = { 0 };
	tk_error err = { 0 };
	const char *name;
	tk_status st;
	int rc;

	rc = cli_args_name(cli, argc, argv, opts, CLI_ARRAY_SIZE(opts), &name);
	if (rc != 0)
		return cli_args_exit(rc);
	rc = open_parse(cli, opts, &o, &r);
	if (rc != 0)
		return rc;
	o.name = name;
	r.buf = malloc(TK_FRAME_BUF_MAX);
	if (!r.buf)
		return cli_fail(cli, TK_E_NO_MEMORY, &err);
	/* Before the open, so a signal sent as soon as "opened" is printed is caught. */
	open_signals();
	st = tk_dev_open(cli->ctx, &o, &r.dev, &err);
	if (st != TK_OK) {
		rc = cli_fail(cli, st, &err);
		goto out_free;
	}
	fputs("opened ", stdout);
	cli_text_write(stdout, tk_dev_name(r.dev));
	printf(" pid %ld\n", (long)cli_getpid());
	fflush(stdout);
	rc = open_hold(cli, &r);
	tk_dev_close(r.dev);
out_free:
	free(r.buf);
	return rc;
}

const struct cli_verb cli_verb_open = {
	.name = "open",
	.run = open_run,
	.summary = "open an adapter and hold it (and read frames)",
	.usage = open_usage,
};
