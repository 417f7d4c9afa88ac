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
	"When stdout is a file that group or others could read, its mode is set to 0600 (the\n"
	"tunnel refuses such a key file otherwise). `tapkit pubkey` derives the public key.\n";

static const char pubkey_usage[] =
	"usage: tapkit pubkey < PRIVATE_KEY_FILE\n"
	"\n"
	"Reads a private key (base64, as `tapkit genkey` prints it) on stdin and prints its\n"
	"public key, which the peers list as PublicKey = ... (or --peer-key).\n"
	"\n"
	"  tapkit genkey | tee private.key | tapkit pubkey > public.key\n";

#if defined(_WIN32)

static int key_unavailable(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error(cli,
			       "keys are for the tunnel, which is not available on Windows yet");
}

#define genkey_run key_unavailable
#define pubkey_run key_unavailable

#else

#include "tunnel/tunnel_internal.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

static int key_fail(struct cli *cli, tk_status st, const char *op, const char *message,
		    const char *remedy)
{
	tk_error err = { 0 };
	err.status = st;
	snprintf(err.op, sizeof(err.op), "%s", op);
	snprintf(err.object, sizeof(err.object), "%s", "<stdin>");
	snprintf(err.message, sizeof(err.message), "%s", message);
	snprintf(err.remedy, sizeof(err.remedy), "%s", remedy);
	return cli_fail(cli, st, &err);
}

/* libsodium cannot start (it found no entropy source): the same failure for each key verb. */
static int sodium_fail(struct cli *cli)
{
	return key_fail(cli, TK_E_INTERNAL, "sodium_init", "libsodium cannot be initialised",
			"check that the system has an entropy source (getrandom)");
}

/* A private key written to a file others may read is fixed at once, as `umask 077` would. */
static void stdout_protect(void)
{
	struct stat sb;
	if (fstat(STDOUT_FILENO, &sb) != 0 || !S_ISREG(sb.st_mode) || !(sb.st_mode & 077))
		return;
	if (fchmod(STDOUT_FILENO, sb.st_mode & 0700) != 0)
		fputs("tapkit genkey: warning: the output file is readable by others and its mode "
		      "cannot be changed; run: umask 077; tapkit genkey > FILE\n",
		      stderr);
}

static int genkey_run(struct cli *cli, int argc, char **argv)
{
	size_t npos = 0;
	uint8_t sk[TK__KEY_LEN];
	char b64[TK__KEY_B64_LEN + 1];

	int rc = cli_args_parse(cli, argc, argv, NULL, 0, NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (!tk__seal_init())
		return sodium_fail(cli);
	stdout_protect();
	tk__key_generate(sk);
	tk__key_to_base64(sk, b64);
	printf("%s\n", b64);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(b64, sizeof(b64));
	return CLI_EXIT_OK;
}

static int pubkey_run(struct cli *cli, int argc, char **argv)
{
	size_t npos = 0;
	uint8_t sk[TK__KEY_LEN], pk[TK__KEY_LEN];
	char text[256], b64[TK__KEY_B64_LEN + 1];

	int rc = cli_args_parse(cli, argc, argv, NULL, 0, NULL, 0, &npos);
	if (rc != 0)
		return cli_args_exit(rc);
	if (!tk__seal_init())
		return sodium_fail(cli);
	size_t n = fread(text, 1, sizeof(text), stdin);
	bool ok = n < sizeof(text) && tk__key_from_base64(text, n, sk);
	sodium_memzero(text, sizeof(text));
	if (!ok)
		return key_fail(cli, TK_E_BAD_ARGUMENT, "read key",
				"stdin does not hold one base64 private key",
				"give it a key made by genkey: tapkit pubkey < private.key");
	tk__key_public(sk, pk);
	sodium_memzero(sk, sizeof(sk));
	tk__key_to_base64(pk, b64);
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
