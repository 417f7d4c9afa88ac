/* SPDX-License-Identifier: MIT */
/*
 * Argument handling shared by the verbs: the option/positional split with its usage errors,
 * strict number parsing, and users and groups by name or number.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_WIN32)
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#endif

static struct cli_opt *opt_find(struct cli_opt *opts, size_t nopts, const char *arg, size_t len)
{
	for (size_t i = 0; i < nopts; i++) {
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg, len) == 0)
			return &opts[i];
	}
	return NULL;
}

/*
 * --json is accepted by every verb: it turns failures into a JSON error on stdout (and data into
 * JSON where a verb prints data). It is looked for first so that even a usage error about an
 * earlier argument comes out as JSON.
 */
static void json_prescan(struct cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return;
		if (strcmp(argv[i], "--json") == 0)
			cli->json = true;
	}
}

/* One option at argv[*i]; advances *i past its value. Returns 0 or an exit code. */
static int opt_take(struct cli *cli, int argc, char **argv, int *i, struct cli_opt *opts,
		    size_t nopts)
{
	const char *arg = argv[*i];
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	struct cli_opt *o = opt_find(opts, nopts, arg, len);

	if (!o)
		return cli_usage_error(cli, "unknown option %.*s", (int)len, arg);
	if (!o->takes_value) {
		if (eq)
			return cli_usage_error(cli, "option %s takes no value", o->name);
		o->seen = true;
		return 0;
	}
	if (eq) {
		o->value = eq + 1;
	} else {
		if (*i + 1 >= argc)
			return cli_usage_error(cli, "option %s needs a value", o->name);
		o->value = argv[++*i];
	}
	o->seen = true;
	return 0;
}

int cli_args_parse(struct cli *cli, int argc, char **argv, struct cli_opt *opts, size_t nopts,
		   const char **pos, size_t maxpos, size_t *npos)
{
	bool options_done = false;

	*npos = 0;
	json_prescan(cli, argc, argv);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!options_done && strcmp(arg, "--help") == 0) {
			fputs(cli->verb->usage, stdout);
			return CLI_HELP_SHOWN;
		}
		if (!options_done && strcmp(arg, "--json") == 0)
			continue;
		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1] != '\0') {
			int rc = opt_take(cli, argc, argv, &i, opts, nopts);

			if (rc)
				return rc;
			continue;
		}
		if (*npos >= maxpos)
			return cli_usage_error(cli, "unexpected argument \"%s\"", arg);
		pos[(*npos)++] = arg;
	}
	return 0;
}

int cli_args_name(struct cli *cli, int argc, char **argv, struct cli_opt *opts, size_t nopts,
		  const char **name)
{
	const char *pos[1];
	size_t npos;
	int rc = cli_args_parse(cli, argc, argv, opts, nopts, pos, 1, &npos);

	if (rc != 0)
		return rc;
	if (npos < 1)
		return cli_usage_error(cli, "missing adapter name");
	*name = pos[0];
	return 0;
}

bool cli_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!text[0] || strlen(text) > 10)
		return false;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool cli_parse_seconds(const char *text, uint64_t *ms)
{
	const uint64_t max_s = 365ULL * 24 * 3600;
	uint64_t s = 0, frac = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		s = s * 10 + (uint64_t)(*p - '0');
		if (s > max_s)
			return false;
	}
	if (*p == '.') {
		int digits = 0;

		for (p++; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
			frac = frac * 10 + (uint64_t)(*p - '0');
		if (digits == 0)
			return false;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (*p != '\0')
		return false;
	*ms = s * 1000 + frac;
	return true;
}

#if !defined(_WIN32)
/* The buffer size getpw*_r/getgr*_r want; doubled on ERANGE by the callers. */
static size_t pw_buf_size(void)
{
	long n = sysconf(_SC_GETPW_R_SIZE_MAX);

	return n > 0 && n < 1048576 ? (size_t)n : 16384;
}

enum id_lookup { BY_NAME, BY_ID };

/*
 * Looks a user up by name or uid, copying name and uid out. Returns 0, or an errno value
 * (ENOENT when there is no such user).
 */
static int user_lookup(enum id_lookup how, const char *name, int64_t id, char *name_out,
		       size_t size, int64_t *id_out)
{
	size_t len = pw_buf_size();
	struct passwd pw, *res = NULL;
	int rc;

	for (int tries = 0; tries < 6; tries++, len *= 2) {
		char *buf = malloc(len);

		if (!buf)
			return ENOMEM;
		if (how == BY_NAME)
			rc = getpwnam_r(name, &pw, buf, len, &res);
		else
			rc = getpwuid_r((uid_t)id, &pw, buf, len, &res);
		if (rc == 0 && res) {
			if (name_out)
				snprintf(name_out, size, "%s", pw.pw_name);
			*id_out = (int64_t)pw.pw_uid;
		}
		free(buf);
		if (rc != ERANGE)
			return rc ? rc : (res ? 0 : ENOENT);
	}
	return ERANGE;
}

static int group_lookup(enum id_lookup how, const char *name, int64_t id, char *name_out,
			size_t size, int64_t *id_out)
{
	size_t len = pw_buf_size();
	struct group gr, *res = NULL;
	int rc;

	for (int tries = 0; tries < 6; tries++, len *= 2) {
		char *buf = malloc(len);

		if (!buf)
			return ENOMEM;
		if (how == BY_NAME)
			rc = getgrnam_r(name, &gr, buf, len, &res);
		else
			rc = getgrgid_r((gid_t)id, &gr, buf, len, &res);
		if (rc == 0 && res) {
			if (name_out)
				snprintf(name_out, size, "%s", gr.gr_name);
			*id_out = (int64_t)gr.gr_gid;
		}
		free(buf);
		if (rc != ERANGE)
			return rc ? rc : (res ? 0 : ENOENT);
	}
	return ERANGE;
}
#endif

/* uid_t/gid_t are 32 bits; (uid_t)-1 means "no change" to the kernel, so it is refused. */
#define CLI_ID_MAX 4294967294u

static int resolve_id(struct cli *cli, const char *text, int64_t *out, bool user)
{
	const char *what = user ? "user" : "group";
	uint32_t n;

	if (cli_parse_u32(text, 0, CLI_ID_MAX, &n)) {
		*out = n;
		return 0;
	}
	if (!text[0])
		return cli_usage_error(cli, "empty %s name", what);
#if defined(_WIN32)
	return cli_usage_error(cli, "unknown %s \"%s\": give a number", what, text);
#else
	int64_t id = -1;
	int rc = user ? user_lookup(BY_NAME, text, 0, NULL, 0, &id)
		      : group_lookup(BY_NAME, text, 0, NULL, 0, &id);

	if (rc == ENOENT)
		return cli_usage_error(cli, "unknown %s \"%s\": no such name in the %s database",
				       what, text, user ? "passwd" : "group");
	if (rc)
		return cli_usage_error(cli, "cannot look up %s \"%s\": errno %d", what, text, rc);
	*out = id;
	return 0;
#endif
}

int cli_resolve_user(struct cli *cli, const char *text, int64_t *uid)
{
	return resolve_id(cli, text, uid, true);
}

int cli_resolve_group(struct cli *cli, const char *text, int64_t *gid)
{
	return resolve_id(cli, text, gid, false);
}

const char *cli_user_name(int64_t uid, char *buf, size_t size)
{
	buf[0] = '\0';
#if !defined(_WIN32)
	int64_t id;

	if (uid >= 0 && uid <= CLI_ID_MAX && user_lookup(BY_ID, NULL, uid, buf, size, &id) != 0)
		buf[0] = '\0';
#else
	(void)uid;
	(void)size;
#endif
	return buf;
}

const char *cli_group_name(int64_t gid, char *buf, size_t size)
{
	buf[0] = '\0';
#if !defined(_WIN32)
	int64_t id;

	if (gid >= 0 && gid <= CLI_ID_MAX && group_lookup(BY_ID, NULL, gid, buf, size, &id) != 0)
		buf[0] = '\0';
#else
	(void)gid;
	(void)size;
#endif
	return buf;
}
