/* SPDX-License-Identifier: MIT */
/*
 * The INI reader (src/core/config.c) and the watch configuration (src/core/watch.c) through the
 * public tk_watch_config_parse, with a logger on at the most verbose level so every log path
 * formats its fields. Properties: a refusal is TK_E_CONFIG with a message and no configuration;
 * an accepted one has sections and matches names without reading out of bounds. Then the glob
 * matcher on a pattern and a name cut from the input ("PATTERN\nNAME"): it must agree with
 * fnmatch(3) in the C locale (bytes compare as unsigned) wherever every class is closed.
 */
#include "fuzz.h"
#include "tapkit.h"

#include <fnmatch.h>
#include <string.h>

static tk_ctx *ctx;

static void logger(void *user, const tk_log_record *rec)
{
	(void)user;
	FUZZ_CHECK(rec->message && rec->subsystem);
	for (size_t i = 0; i < rec->nfields; i++)
		FUZZ_CHECK(rec->fields[i].key && rec->fields[i].value);
}

/* NOLINTNEXTLINE(readability-non-const-parameter): libFuzzer's signature */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (tk_ctx_new(&ctx, NULL) != TK_OK)
		abort();
	tk_ctx_set_logger(ctx, logger, NULL, TK_LOG_TRACE);
	return 0;
}

/*
 * Every '[' opens a class that ends (a ']' right after "[" or "[!" is a member). An unclosed one
 * is where the two differ by design: fnmatch takes the '[' literally, tk_pattern_match matches
 * nothing (and the config refuses the pattern).
 */
static bool classes_closed(const char *p)
{
	for (; *p; p++) {
		if (*p != '[')
			continue;
		p++;
		if (*p == '!' || *p == '^')
			p++;
		if (*p == ']')
			p++;
		while (*p && *p != ']')
			p++;
		if (!*p)
			return false;
	}
	return true;
}

static void check_glob(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return;
	size_t plen = (size_t)(nl - data);
	size_t nlen = size - plen - 1;
	char *pat = strndup((const char *)data, plen);
	char *name = strndup((const char *)nl + 1, nlen);
	if (!pat || !name)
		goto out;
	bool got = tk_pattern_match(pat, name);
	/* POSIX "[:alpha:]", "[=a=]", "[.a.]" inside a class are fnmatch's, not ours */
	if (classes_closed(pat) && !strstr(pat, "[:") && !strstr(pat, "[=") && !strstr(pat, "[."))
		FUZZ_CHECK(got == (fnmatch(pat, name, FNM_NOESCAPE) == 0));
	if (got && !strpbrk(pat, "*?["))
		FUZZ_CHECK(strcmp(pat, name) == 0);
	/* a name always matches itself when it has no wildcard, and "*" matches everything */
	if (!strpbrk(name, "*?["))
		FUZZ_CHECK(tk_pattern_match(name, name));
	FUZZ_CHECK(tk_pattern_match("*", name));
out:
	free(pat);
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tk_watch_config *cfg = NULL;
	tk_error err;

	memset(&err, 0, sizeof(err));
	tk_status st =
		tk_watch_config_parse(ctx, (const char *)data, size, "fuzz.conf", &cfg, &err);
	if (st != TK_OK) {
		FUZZ_CHECK(st == TK_E_CONFIG || st == TK_E_NO_MEMORY);
		FUZZ_CHECK(err.status == st && err.message[0]);
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)));
		FUZZ_CHECK(cfg == NULL);
	} else {
		FUZZ_CHECK(cfg && tk_watch_config_count(cfg) >= 1);
		char name[16];
		size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
		memcpy(name, data + size - n, n);
		name[n] = '\0';
		int i = tk_watch_config_match(cfg, name);
		FUZZ_CHECK(i >= -1 && i < (int)tk_watch_config_count(cfg));
		FUZZ_CHECK(tk_watch_config_match(cfg, NULL) == -1);
		tk_watch_config_free(cfg);
	}
	check_glob(data, size);
	return 0;
}
