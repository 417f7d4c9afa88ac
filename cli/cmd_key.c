/* SPDX-License-Identifier: MIT */
/*
 * `tapkit genkey` and `tapkit pubkey`: X25519 keys for the tunnel's sealed mode, as base64 on
 * stdout and stdin, the way `wg genkey` / `wg pubkey` do it:
 *
 *   umask 077; tapkit genkey > private.key
 *   tapkit pubkey < private.key > public.key
 */
#include "cli.h"

#include <string.h>

static const char genkey_usage[] =
	"usage: tapkit genkey\n"
	"\n"
	"Prints a new private key (X25519, base64) for the tunnel's sealed mode on stdout.\n"
	"Keep it secret: write it where only you can read it, e.g.\n"
	"\n"
	"  umask 077; tapkit genkey > /etc/tapkit/private.key\n"
	"\n"
	"When stdout is a file that group or others could read, no key is written there and the\n"
	"command fails (the tunnel would refuse such a key file). `tapkit pubkey` derives the\n"
	"public key.\n";

static const char pubkey_usage[] =
	"usage: tapkit pubkey < PRIVATE_KEY_FILE\n"
	"\n"
	"Reads a private key (base64, as `tapkit genkey` prints it) on stdin and prints its\n"
	"public key, which the peers list as PublicKey = ... (or --peer-key).\n"
	"\n"
	"  umask 077; tapkit genkey | tee private.key | tapkit pubkey > public.key\n";

#if defined(_WIN32) && !defined(TK_WIN_SEALED)

static int key_unavailable(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error(cli,
			       "keys are for the tunnel's sealed mode, which is not in this "
			       "Windows build (built without libsodium/OpenSSL): build it with "
			       "them (scripts/mingw-deps.sh, make windows), or make keys on Linux");
}

#define genkey_run key_unavailable
#define pubkey_run key_unavailable

#else

#include "tunnel/tunnel.h" /* tunnel_errno_text */

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static int key_fail(struct cli *cli, tk_status st, const char *op, const char *object,
		    const char *message, const char *remedy)
{
	tk_error err = { 0 };
	err.status = st;
	snprintf(err.op, sizeof(err.op), "%s", op);
	snprintf(err.object, sizeof(err.object), "%s", object);
	snprintf(err.message, sizeof(err.message), "%s", message);
	snprintf(err.remedy, sizeof(err.remedy), "%s", remedy);
	return cli_fail(cli, st, &err);
}

/*
 * A private key is never written where group or others may read it: a stdout that is such a
 * file is refused before the key exists. Changing its mode afterwards would come too late (it
 * could be opened between the shell creating it and the change).
 */
static int stdout_check(struct cli *cli)
{
#ifdef _WIN32
	/* A new file's ACL is its folder's: docs/windows.md restricts it with icacls, and the
	 * tunnel refuses a key file that Users or Everyone can read (keyfile_windows.c). */
	(void)cli;
	return 0;
#else
	struct stat sb;
	if (fstat(STDOUT_FILENO, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    !(sb.st_mode & (S_IRWXG | S_IRWXO)))
		return 0;
	char msg[160];
	snprintf(msg, sizeof(msg),
		 "stdout is a file group or others may read (mode %04o, owner uid %u): the "
		 "private key is not written there",
		 (unsigned)(sb.st_mode & 07777), (unsigned)sb.st_uid);
	return key_fail(cli, TK_E_BAD_ARGUMENT, "write key", "<stdout>", msg,
			"remove the file, then: umask 077; tapkit genkey > FILE (or chmod 600 FILE "
			"first)");
#endif
}

#ifdef _WIN32
#define IO_LEN(n) ((unsigned)((n) < 4096 ? (n) : 4096)) /* the CRT's _write/_read take unsigned */
#else
#define IO_LEN(n) (n)
#endif

/*
 * The key text goes through write(2) and read(2), not stdio: stdio would keep a copy of the
 * private key in its own buffer, which tk_key_wipe cannot reach.
 */
static bool fd_write_all(int fd, const char *buf, size_t len)
{
	for (int tries = 0; len > 0 && tries < 1000; tries++) {
		ssize_t r = write(fd, buf, IO_LEN(len));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		buf += r;
		len -= (size_t)r;
	}
	return len == 0;
}

/* Reads up to size bytes (to EOF); a return of size means there may be more. */
static size_t fd_read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	for (int tries = 0; n < size && tries < 1000; tries++) {
		ssize_t r = read(fd, buf + n, IO_LEN(size - n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

static int genkey_run(struct cli *cli, int argc, char **argv)
{
	size_t npos = 0;
	char b64[TK_KEY_TEXT_MAX + 1];
	tk_error err = { 0 };

	int rc = cli_args_parse(cli, argc, argv, NULL, 0, NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if ((rc = stdout_check(cli)) != 0)
		return rc;
	if (tk_key_generate(b64, &err) != TK_OK)
		return cli_fail(cli, err.status, &err);
	size_t len = strlen(b64);
	b64[len] = '\n';
	fflush(stdout); /* nothing is pending, but the order must hold if it ever is */
	bool ok = fd_write_all(STDOUT_FILENO, b64, len + 1);
	int e = errno;
	tk_key_wipe(b64, sizeof(b64));
	if (!ok) {
		char ebuf[128];
		return key_fail(cli, TK_E_IO, "write key", "<stdout>",
				tunnel_errno_text(e, ebuf, sizeof(ebuf)),
				"check where stdout goes (a full disk, a closed pipe)");
	}
	return CLI_EXIT_OK;
}

static int pubkey_run(struct cli *cli, int argc, char **argv)
{
	size_t npos = 0;
	char text[256], b64[TK_KEY_TEXT_MAX];
	tk_error err = { 0 };

	int rc = cli_args_parse(cli, argc, argv, NULL, 0, NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	size_t n = fd_read_all(STDIN_FILENO, text, sizeof(text));
	tk_status st = n < sizeof(text) ? tk_key_public(text, n, b64, &err) : TK_E_BAD_ARGUMENT;
	tk_key_wipe(text, sizeof(text));
	if (st == TK_E_BAD_ARGUMENT)
		return key_fail(cli, TK_E_BAD_ARGUMENT, "read key", "<stdin>",
				"stdin does not hold one base64 private key",
				"give it a key made by genkey: tapkit pubkey < private.key");
	if (st != TK_OK)
		return cli_fail(cli, st, &err);
	printf("%s\n", b64);
	return CLI_EXIT_OK;
}

#endif

const struct cli_verb cli_verb_genkey = {
	.name = "genkey",
	.run = genkey_run,
	.summary = "print a new private key for the tunnel's sealed mode",
	.usage = genkey_usage,
};

const struct cli_verb cli_verb_pubkey = {
	.name = "pubkey",
	.run = pubkey_run,
	.summary = "print the public key of the private key on stdin",
	.usage = pubkey_usage,
};
