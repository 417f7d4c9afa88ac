/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of the `tapkit` command: the state a verb runs with, the verbs, argument
 * helpers (args.c) and every way the command prints (output.c). The CLI uses the public API
 * (tapkit.h) only.
 */
#ifndef TK_CLI_H
#define TK_CLI_H

#include "tapkit.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#if defined(__MINGW32__)
#define CLI_PRINTF(f, a) __attribute__((format(__MINGW_PRINTF_FORMAT, f, a)))
#else
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif
#else
#define CLI_PRINTF(f, a)
#endif

#define CLI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes: the contract in docs/cli.md. */
#define CLI_EXIT_OK	   0
#define CLI_EXIT_FAILURE   1
#define CLI_EXIT_USAGE	   2
#define CLI_EXIT_PERM	   3
#define CLI_EXIT_NOT_FOUND 4
#define CLI_EXIT_BUSY	   5
#define CLI_EXIT_REBOOT	   6 /* done, but Windows must restart to complete it */

/* Version of the JSON documents printed on stdout (docs/json.md). */
#define CLI_JSON_VERSION 1

struct cli_verb;

/* What a verb runs with. */
struct cli {
	tk_ctx *ctx;
	const struct cli_verb *verb; /* NULL before a verb is known */
	bool json;		     /* --json: data and errors as JSON on stdout */
	bool color;		     /* stdout is a terminal and NO_COLOR is not set */
	bool color_err;		     /* the same for stderr */
};

typedef int cli_verb_fn(struct cli *cli, int argc, char **argv);

/* One verb of the dispatch table. argv[0] is the verb's name. Returns the exit code. */
struct cli_verb {
	const char *name;
	cli_verb_fn *run;
	const char *summary; /* one line for `tapkit help` */
	const char *usage;   /* the full text of `tapkit VERB --help` */
	bool log_info;	     /* its work shows in log lines (watch): default --log-level info */
};

/* The verbs, one file each (cmd_<verb>.c). */
extern const struct cli_verb cli_verb_list;
extern const struct cli_verb cli_verb_show;
extern const struct cli_verb cli_verb_create;
extern const struct cli_verb cli_verb_delete;
extern const struct cli_verb cli_verb_up;
extern const struct cli_verb cli_verb_down;
extern const struct cli_verb cli_verb_set;
extern const struct cli_verb cli_verb_addr;
extern const struct cli_verb cli_verb_open;
extern const struct cli_verb cli_verb_doctor;
extern const struct cli_verb cli_verb_watch;
extern const struct cli_verb cli_verb_tunnel;
extern const struct cli_verb cli_verb_genkey;
extern const struct cli_verb cli_verb_pubkey;
extern const struct cli_verb cli_verb_driver;
extern const struct cli_verb cli_verb_enable;
extern const struct cli_verb cli_verb_disable;

/* ---- argument parsing (args.c) ---- */

/* A verb's option: "--owner" with or without a value ("--owner X" or "--owner=X"). */
struct cli_opt {
	const char *name;
	bool takes_value;
	bool seen;
	const char *value; /* the last value given */
};

/* cli_args_parse returns this after printing the verb's help: the verb exits 0. */
#define CLI_HELP_SHOWN (-1)

/*
 * Splits argv[1..] into the verb's options and positional arguments (at most maxpos, in order).
 * "--help" prints the verb's usage; "--json" (every verb has it) sets cli->json; "--" ends the
 * options. Returns 0, CLI_HELP_SHOWN, or CLI_EXIT_USAGE after reporting the problem.
 */
int cli_args_parse(struct cli *cli, int argc, char **argv, struct cli_opt *opts, size_t nopts,
		   const char **pos, size_t maxpos, size_t *npos);
/* The exit code a verb returns for a cli_args_parse result that is not 0. */
static inline int cli_args_exit(int rc)
{
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}
/*
 * cli_args_parse for a verb that takes one adapter NAME (and opts): "missing adapter name" is a
 * usage error. Returns 0 with *name set, or what cli_args_parse would (see cli_args_exit).
 */
int cli_args_name(struct cli *cli, int argc, char **argv, struct cli_opt *opts, size_t nopts,
		  const char **name);
/* Unsigned decimal in [min, max], the whole string; false otherwise. */
bool cli_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out);
/* "SECONDS" with up to three decimals ("1", "0.25"), at most a year; false otherwise. */
bool cli_parse_seconds(const char *text, uint64_t *ms);
/* A user or group by name or number. Returns 0, or CLI_EXIT_USAGE after reporting. */
int cli_resolve_user(struct cli *cli, const char *text, int64_t *uid);
int cli_resolve_group(struct cli *cli, const char *text, int64_t *gid);
/* "alice" for a known uid/gid into buf; "" if unknown. */
const char *cli_user_name(int64_t uid, char *buf, size_t size);
const char *cli_group_name(int64_t gid, char *buf, size_t size);

/* ---- output (output.c) ---- */

/*
 * A compact JSON writer: every value goes through it, so there is one escaping path. Keys are
 * passed with the value (NULL inside arrays and for the top-level value). Invalid UTF-8 is
 * replaced with U+FFFD so the output is always valid JSON.
 */
#define CLI_JSON_DEPTH 16
struct cli_json {
	FILE *f;
	int depth;
	bool need_comma[CLI_JSON_DEPTH];
};

void cli_json_init(struct cli_json *j, FILE *f);
/* Starts a top-level document: init, then the outer object and its "version". */
void cli_json_doc_begin(struct cli_json *j, FILE *f);
void cli_json_object_begin(struct cli_json *j, const char *key);
void cli_json_object_end(struct cli_json *j);
void cli_json_array_begin(struct cli_json *j, const char *key);
void cli_json_array_end(struct cli_json *j);
void cli_json_string(struct cli_json *j, const char *key, const char *value); /* NULL: null */
void cli_json_int(struct cli_json *j, const char *key, int64_t value);
void cli_json_bool(struct cli_json *j, const char *key, bool value);
void cli_json_null(struct cli_json *j, const char *key);
/* Writes s as a JSON string literal, quotes included. */
void cli_json_write_string(FILE *f, const char *s);
/*
 * Length of the well-formed UTF-8 sequence starting at s (1 to 4), 0 if it is not one or does
 * not fit in avail bytes (overlong forms, surrogates and code points above U+10FFFF are not,
 * per RFC 3629). Stops at the first byte that does not fit, so with avail SIZE_MAX it never
 * reads past a terminating NUL. The JSON writer's and reader's (json_read.c) one check.
 */
size_t cli_utf8_len(const unsigned char *s, size_t avail);

/* Writes s for a terminal: control characters become \xNN so a name cannot break a line. */
void cli_text_write(FILE *f, const char *s);

/* The exit code for a failure cause (docs/cli.md, "Exit codes"). */
int cli_exit_code(tk_status st);
/* "EBUSY" for an errno value, "" if unknown. */

/* One adapter as the JSON object of docs/json.md. */
void cli_adapter_json(struct cli_json *j, const char *key, const tk_adapter_info *a);
/* The document {"version":1,"adapter":{...}} of `show` and `create`. */
void cli_adapter_doc(FILE *f, const tk_adapter_info *a);
/* `tapkit list` text: one aligned block per adapter. */
void cli_adapters_text(FILE *f, const tk_adapter_info *list, size_t count, bool color);
/* `tapkit show` text: key: value lines. */
void cli_adapter_show_text(FILE *f, const tk_adapter_info *a, bool color);

/* The failure block of docs/cli.md and the JSON error document. */
void cli_error_text(FILE *f, const tk_error *err, bool color);
void cli_error_json(FILE *f, const tk_error *err);

/*
 * Reports a failed library call: the text block on stderr and, with --json, the JSON error on
 * stdout. Fills in the cause when err was left empty. Returns the exit code.
 */
int cli_fail(struct cli *cli, tk_status st, tk_error *err);
/*
 * Reports a usage problem: "tapkit VERB: <what>" and "try `tapkit VERB --help`" on stderr (and
 * a TK_E_BAD_ARGUMENT JSON error with --json). Returns CLI_EXIT_USAGE.
 */
int cli_usage_error(struct cli *cli, const char *fmt, ...) CLI_PRINTF(2, 3);
/*
 * The one-line confirmation of a verb that changed an adapter, "<head>NAME<tail>" on stdout
 * ("deleted tap0\n"); nothing with --json (the exit code says it). When Windows needs a restart
 * to complete the change: " (restart Windows to complete it)" before tail, with --json
 * {"version":1,"reboot_required":true}, and CLI_EXIT_REBOOT. Returns the exit code.
 */
int cli_done(struct cli *cli, const char *head, const char *name, const char *tail);

#endif /* TK_CLI_H */
