/* SPDX-License-Identifier: MIT */
/*
 * Watch: the configuration model (sections matching adapter names by glob pattern), and the
 * engine that applies a section to an adapter when it appears. The OS only supplies the link
 * events (tk__backend_watch_*); every change goes through the public adapter calls, so a watch
 * action fails with exactly the cause and remedy `tapkit set` would give.
 */
#include "backend.h"
#include "config.h"
#include "watchlogic.h"

#include <stdlib.h>
#include <string.h>

#define TK__WATCH_MAGIC	   0x746b7774u /* "tkwt" */
#define TK__WATCH_PATTERNS 16

struct watch_section {
	unsigned line;
	size_t npatterns;
	char patterns[TK__WATCH_PATTERNS][TK_NAME_MAX];
	unsigned up_line, mtu_line, mac_line, master_line; /* 0: not set */
	unsigned enable_line, rename_line;		   /* Windows: Enable, ConnectionName */
	bool up;
	bool enable;
	char connection_name[TK_NAME_MAX];
	uint32_t mtu;
	uint8_t mac[TK_MAC_LEN];
	char master[TK_NAME_MAX];
	size_t naddrs;
	tk_ip_addr addrs[TK_MAX_ADDRS];
	unsigned addr_lines[TK_MAX_ADDRS];
};

struct tk_watch_config {
	char origin[TK_ERROR_OBJECT_MAX];
	size_t n, cap;
	struct watch_section *s;
};

/* ---- patterns ---- */

/* Matches one [...] class at *pp against c; advances *pp past it. -1: malformed class. */
static int class_match(const char **pp, char c)
{
	const char *p = *pp + 1;
	bool negate = false;
	bool hit = false;
	if (*p == '!' || *p == '^') {
		negate = true;
		p++;
	}
	/* A ']' right after '[' (or '[!') is a literal member, as in fnmatch(3). */
	bool first = true;
	for (; *p && (first || *p != ']'); p++, first = false) {
		/* bytes compare unsigned, as fnmatch(3) does: "[a-\xff]" spans the UTF-8 bytes */
		unsigned char lo = (unsigned char)*p;
		unsigned char hi = lo;
		if (p[1] == '-' && p[2] && p[2] != ']') {
			hi = (unsigned char)p[2];
			p += 2;
		}
		if ((unsigned char)c >= lo && (unsigned char)c <= hi)
			hit = true;
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return hit != negate;
}

bool tk_pattern_match(const char *pattern, const char *name)
{
	const char *p = pattern;
	const char *n = name;
	const char *star_p = NULL; /* where to resume the pattern after the last '*' */
	const char *star_n = NULL; /* the name position that '*' has swallowed up to */

	if (!pattern || !name)
		return false;
	/* Greedy matching with one backtrack point: the classic linear glob, enough for names. */
	while (*n) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_n = n;
			continue;
		}
		if (*p == '[') {
			const char *q = p;
			int m = class_match(&q, *n);
			if (m < 0)
				return false;
			if (m) {
				p = q;
				n++;
				continue;
			}
		} else if (*p && (*p == '?' || *p == *n)) {
			p++;
			n++;
			continue;
		}
		if (!star_p)
			return false;
		p = star_p;
		n = ++star_n;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* ---- the configuration ---- */

struct parse_ctx {
	tk_watch_config *cfg;
	struct watch_section *cur;
};

static tk_status pattern_check(const struct tk__ini_item *it, const char *pat, tk_error *err)
{
	if (strlen(pat) >= TK_NAME_MAX)
		return tk__config_error(err, it->origin, it->line,
					"name pattern \"%s\" is too long", pat);
	if (!has_wildcard(pat)) {
		tk_error nerr = { 0 };
		if (tk_adapter_name_check(pat, &nerr) != TK_OK)
			return tk__config_error(err, it->origin, it->line,
						"\"%s\" is not a valid adapter name: %s", pat,
						nerr.message);
		return TK_OK;
	}
	for (const char *p = pat; *p; p++) {
		if (*p != '[')
			continue;
		const char *q = p;
		if (class_match(&q, 'x') < 0)
			return tk__config_error(err, it->origin, it->line,
						"pattern \"%s\" has a '[' without its ']'", pat);
		p = q - 1;
	}
	return TK_OK;
}

static tk_status add_pattern(struct watch_section *sec, const struct tk__ini_item *it,
			     const char *pat, tk_error *err)
{
	tk_status st = pattern_check(it, pat, err);
	if (st != TK_OK)
		return st;
	if (sec->npatterns >= TK__WATCH_PATTERNS)
		return tk__config_error(err, it->origin, it->line,
					"more than %d name patterns in one section",
					TK__WATCH_PATTERNS);
	tk__strlcpy(sec->patterns[sec->npatterns++], pat, TK_NAME_MAX);
	return TK_OK;
}

/* A section is checked as a whole when the next one starts and at the end of the file. */
static tk_status section_finish(const tk_watch_config *cfg, const struct watch_section *sec,
				tk_error *err)
{
	if (!sec)
		return TK_OK;
	if (sec->npatterns == 0)
		return tk__config_error(err, cfg->origin, sec->line,
					"[Adapter] names no adapter: write [Adapter NAME] or add "
					"Match = PATTERN");
	if (!sec->up_line && !sec->mtu_line && !sec->mac_line && !sec->master_line &&
	    !sec->naddrs && !sec->enable_line && !sec->rename_line)
		return tk__config_error(err, cfg->origin, sec->line,
					"[Adapter %s] sets nothing (use Up, MTU, Address, MAC, "
					"Master, Enable or ConnectionName)",
					sec->patterns[0]);
	/* Two adapters with one MAC address break every bridge and switch they meet. */
	if (sec->mac_line && (sec->npatterns > 1 || has_wildcard(sec->patterns[0])))
		return tk__config_error(err, cfg->origin, sec->mac_line,
					"MAC needs a section that names exactly one adapter, not "
					"\"%s\"%s",
					sec->patterns[0], sec->npatterns > 1 ? " and others" : "");
	/* Two connections cannot have one name: Windows refuses the second rename. */
	if (sec->rename_line && (sec->npatterns > 1 || has_wildcard(sec->patterns[0])))
		return tk__config_error(err, cfg->origin, sec->rename_line,
					"ConnectionName needs a section that names exactly one "
					"adapter, not \"%s\"%s",
					sec->patterns[0], sec->npatterns > 1 ? " and others" : "");
	for (size_t i = 0; sec->mtu_line && i < sec->naddrs; i++)
		if (sec->addrs[i].family == 6 && sec->mtu < TK_MTU_MIN_IPV6)
			return tk__config_error(err, cfg->origin, sec->mtu_line,
						"MTU %u is below %d, the minimum for IPv6 "
						"(Address on line %u)",
						sec->mtu, TK_MTU_MIN_IPV6, sec->addr_lines[i]);
	return TK_OK;
}

static tk_status section_begin(struct parse_ctx *pc, const struct tk__ini_item *it, tk_error *err)
{
	tk_watch_config *cfg = pc->cfg;
	tk_status st = section_finish(cfg, pc->cur, err);
	if (st != TK_OK)
		return st;
	if (!tk__config_key_is(it->section, "Adapter"))
		return tk__config_error(err, it->origin, it->line,
					"unknown section [%s] (expected [Adapter] or [Adapter "
					"NAME])",
					it->section);
	if (cfg->n == cfg->cap) {
		size_t cap = cfg->cap ? cfg->cap * 2 : 4;
		struct watch_section *s = realloc(cfg->s, cap * sizeof(*s));
		if (!s)
			return tk__error_set_quiet(err, TK_E_NO_MEMORY, "read config", cfg->origin,
						   TK_OS_NONE, 0, "cannot allocate a section");
		cfg->s = s;
		cfg->cap = cap;
	}
	struct watch_section *sec = &cfg->s[cfg->n++];
	memset(sec, 0, sizeof(*sec));
	sec->line = it->line;
	pc->cur = sec;
	if (it->section_arg[0])
		return add_pattern(sec, it, it->section_arg, err);
	return TK_OK;
}

static tk_status once(const struct tk__ini_item *it, unsigned *line, tk_error *err)
{
	if (*line)
		return tk__config_error(err, it->origin, it->line,
					"%s is set twice in one section (first on line %u)",
					it->key, *line);
	*line = it->line;
	return TK_OK;
}

static tk_status key_address(struct watch_section *sec, const struct tk__ini_item *it,
			     tk_error *err)
{
	tk_ip_addr a;
	if (tk_ip_addr_parse(it->value, &a) != TK_OK)
		return tk__config_error(err, it->origin, it->line,
					"Address \"%s\" is not an IPv4 or IPv6 address with an "
					"optional prefix (10.250.1.1/30, fd00::1/64)",
					it->value);
	for (size_t i = 0; i < sec->naddrs; i++)
		if (memcmp(&sec->addrs[i], &a, sizeof(a)) == 0)
			return tk__config_error(err, it->origin, it->line,
						"Address %s is listed twice (first on line %u)",
						it->value, sec->addr_lines[i]);
	if (sec->naddrs >= TK_MAX_ADDRS)
		return tk__config_error(err, it->origin, it->line,
					"more than %d addresses in one section", TK_MAX_ADDRS);
	sec->addr_lines[sec->naddrs] = it->line;
	sec->addrs[sec->naddrs++] = a;
	return TK_OK;
}

static tk_status key_value(struct watch_section *sec, const struct tk__ini_item *it, tk_error *err)
{
	const char *k = it->key;
	const char *v = it->value;
	tk_status st;

	if (tk__config_key_is(k, "Match"))
		return add_pattern(sec, it, v, err);
	if (tk__config_key_is(k, "Address"))
		return key_address(sec, it, err);
	if (tk__config_key_is(k, "Up")) {
		if ((st = once(it, &sec->up_line, err)) != TK_OK)
			return st;
		if (!tk__config_parse_bool(v, &sec->up))
			return tk__config_error(err, it->origin, it->line,
						"Up must be true or false, not \"%s\"", v);
		return TK_OK;
	}
	if (tk__config_key_is(k, "MTU")) {
		if ((st = once(it, &sec->mtu_line, err)) != TK_OK)
			return st;
		if (!tk__config_parse_u32(v, TK_MTU_MIN, TK_MTU_MAX, &sec->mtu))
			return tk__config_error(err, it->origin, it->line,
						"MTU must be a number from %d to %d, not \"%s\"",
						TK_MTU_MIN, TK_MTU_MAX, v);
		return TK_OK;
	}
	if (tk__config_key_is(k, "MAC")) {
		if ((st = once(it, &sec->mac_line, err)) != TK_OK)
			return st;
		if (tk_mac_parse(v, false, sec->mac) != TK_OK)
			return tk__config_error(err, it->origin, it->line,
						"MAC \"%s\" is not a unicast Ethernet address "
						"(02:00:00:00:00:01)",
						v);
		return TK_OK;
	}
	if (tk__config_key_is(k, "Enable")) {
		if ((st = once(it, &sec->enable_line, err)) != TK_OK)
			return st;
		if (!tk__config_parse_bool(v, &sec->enable))
			return tk__config_error(err, it->origin, it->line,
						"Enable must be true or false, not \"%s\"", v);
		return TK_OK;
	}
	if (tk__config_key_is(k, "ConnectionName")) {
		if ((st = once(it, &sec->rename_line, err)) != TK_OK)
			return st;
		tk_error nerr = { 0 };
		if (strlen(v) >= TK_NAME_MAX || tk_adapter_name_check(v, &nerr) != TK_OK)
			return tk__config_error(err, it->origin, it->line,
						"ConnectionName \"%s\" is not a valid connection "
						"name: %s",
						v, nerr.message[0] ? nerr.message : "too long");
		tk__strlcpy(sec->connection_name, v, sizeof(sec->connection_name));
		return TK_OK;
	}
	if (tk__config_key_is(k, "Master")) {
		if ((st = once(it, &sec->master_line, err)) != TK_OK)
			return st;
		tk_error nerr = { 0 };
		if (tk_adapter_name_check(v, &nerr) != TK_OK)
			return tk__config_error(err, it->origin, it->line,
						"Master \"%s\" is not a valid bridge name: %s", v,
						nerr.message);
		tk__strlcpy(sec->master, v, sizeof(sec->master));
		return TK_OK;
	}
	return tk__config_error(err, it->origin, it->line,
				"unknown key \"%s\" in [Adapter] (known: Match, Up, MTU, Address, "
				"MAC, Master, Enable, ConnectionName)",
				k);
}

static tk_status on_item(void *user, const struct tk__ini_item *it, tk_error *err)
{
	struct parse_ctx *pc = user;
	if (!it->key)
		return section_begin(pc, it, err);
	return key_value(pc->cur, it, err);
}

void tk_watch_config_free(tk_watch_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->s);
	free(cfg);
}

typedef tk_status parse_run_fn(const void *arg, struct parse_ctx *pc, tk_error *err);

static tk_status config_build(tk_ctx *ctx, const char *origin, parse_run_fn *run, const void *arg,
			      tk_watch_config **out, tk_error *err)
{
	tk_watch_config *cfg = calloc(1, sizeof(*cfg));
	tk_status st;
	if (!cfg) {
		st = tk__error_set(ctx, err, TK_E_NO_MEMORY, "read config", origin, TK_OS_NONE, 0,
				   "cannot allocate the configuration");
		goto out;
	}
	tk__strlcpy(cfg->origin, origin, sizeof(cfg->origin));
	struct parse_ctx pc = { .cfg = cfg };
	st = run(arg, &pc, err);
	if (st == TK_OK)
		st = section_finish(cfg, pc.cur, err);
	if (st == TK_OK && cfg->n == 0)
		st = tk__config_error(err, origin, 0,
				      "no [Adapter] section: nothing to apply to any adapter");
	if (st != TK_OK) {
		tk__error_log(ctx, err);
		goto out_free;
	}
	tk__log(ctx, TK_LOG_DEBUG, "core.watch", NULL, 0, "read %s: %zu sections", origin, cfg->n);
	*out = cfg;
	cfg = NULL;
out_free:
	tk_watch_config_free(cfg);
out:
	return st;
}

struct text_src {
	const char *text;
	size_t len;
	const char *origin;
};

static tk_status run_text(const void *arg, struct parse_ctx *pc, tk_error *err)
{
	const struct text_src *t = arg;
	return tk__ini_parse(t->text, t->len, t->origin, on_item, pc, err);
}

static tk_status run_file(const void *arg, struct parse_ctx *pc, tk_error *err)
{
	return tk__ini_load(arg, on_item, pc, err);
}

tk_status tk_watch_config_parse(tk_ctx *ctx, const char *text, size_t len, const char *origin,
				tk_watch_config **out, tk_error *err)
{
	tk_error local = { 0 };
	if (!err)
		err = &local;
	if (!tk__ctx_check(ctx, err, "read config"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st;
	if (!out || (!text && len))
		st = tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "read config", "", TK_OS_NONE, 0,
				   "API misuse: text and out are required");
	else {
		struct text_src t = { text ? text : "", len,
				      origin && *origin ? origin : "<string>" };
		st = config_build(ctx, t.origin, run_text, &t, out, err);
	}
	tk__call_end(ctx, tok);
	return st;
}

tk_status tk_watch_config_load(tk_ctx *ctx, const char *path, tk_watch_config **out, tk_error *err)
{
	tk_error local = { 0 };
	if (!err)
		err = &local;
	if (!tk__ctx_check(ctx, err, "read config"))
		return err->status;
	int tok = tk__call_begin(ctx, err);
	tk_status st;
	if (!out || !path || !*path)
		st = tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "read config", "", TK_OS_NONE, 0,
				   "API misuse: path and out are required");
	else
		st = config_build(ctx, path, run_file, path, out, err);
	tk__call_end(ctx, tok);
	return st;
}

size_t tk_watch_config_count(const tk_watch_config *cfg)
{
	return cfg ? cfg->n : 0;
}

int tk_watch_config_match(const tk_watch_config *cfg, const char *name)
{
	if (!cfg || !name)
		return -1;
	for (size_t i = 0; i < cfg->n; i++)
		for (size_t j = 0; j < cfg->s[i].npatterns; j++)
			if (tk_pattern_match(cfg->s[i].patterns[j], name))
				return (int)i;
	return -1;
}

/* ---- the engine ---- */

/* The section for an adapter: by name, else (Windows) by its {GUID}. */
static int section_for(const tk_watch_config *cfg, const char *name, const char *id)
{
	int idx = tk_watch_config_match(cfg, name);
	if (idx < 0 && id && id[0] == '{')
		idx = tk_watch_config_match(cfg, id);
	return idx;
}

/*
 * An adapter configured in its current incarnation: a re-created one has a new ifindex (Linux)
 * or a new {GUID} (Windows, where the ifindex is 0 while TCP/IP does not know the adapter).
 */
struct seen {
	uint32_t ifindex;
	char id[TK_ID_MAX]; /* "" when the event did not say */
	char name[TK_NAME_MAX];
	bool disabled; /* pending only: there but disabled */
	const char *why;
};

static bool seen_is(const struct seen *s, uint32_t ifindex, const char *id)
{
	if (id && id[0] && s->id[0])
		return tk__config_key_is(s->id, id);
	return s->ifindex == ifindex;
}

struct tk_watch {
	uint32_t magic;
	tk_ctx *ctx;
	tk_watch_config *cfg;
	struct tk__watch_os *os;
	struct seen *seen;
	size_t nseen, capseen;
	/* events of one read, applied after the read so netlink requests do not interleave */
	struct seen *pending;
	size_t npending, cappending;
	tk_status pending_st; /* TK_E_NO_MEMORY if an event could not be queued */
};

static bool watch_valid(const tk_watch *w)
{
	return w && w->magic == TK__WATCH_MAGIC && tk__ctx_valid(w->ctx);
}

static bool watch_ok(tk_watch *w, tk_error *err, const char *op)
{
	if (watch_valid(w))
		return true;
	tk__error_bad_handle(err, op, "tk_watch is NULL, freed or not a tapkit watch");
	return false;
}

static struct seen *seen_find(tk_watch *w, uint32_t ifindex, const char *id)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (seen_is(&w->seen[i], ifindex, id))
			return &w->seen[i];
	return NULL;
}

static void seen_forget(tk_watch *w, uint32_t ifindex, const char *id)
{
	for (size_t i = 0; i < w->nseen; i++) {
		if (seen_is(&w->seen[i], ifindex, id)) {
			w->seen[i] = w->seen[--w->nseen];
			return;
		}
	}
}

static bool list_push(struct seen **list, size_t *n, size_t *cap, uint32_t ifindex, const char *id,
		      const char *name)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct seen *p = realloc(*list, ncap * sizeof(*p));
		if (!p)
			return false;
		*list = p;
		*cap = ncap;
	}
	memset(&(*list)[*n], 0, sizeof((*list)[*n]));
	(*list)[*n].ifindex = ifindex;
	tk__strlcpy((*list)[*n].id, id ? id : "", TK_ID_MAX);
	tk__strlcpy((*list)[*n].name, name, TK_NAME_MAX);
	(*n)++;
	return true;
}

static bool seen_remember(tk_watch *w, uint32_t ifindex, const char *id, const char *name)
{
	struct seen *s = seen_find(w, ifindex, id);
	if (s) {
		tk__strlcpy(s->name, name, sizeof(s->name));
		return true;
	}
	return list_push(&w->seen, &w->nseen, &w->capseen, ifindex, id, name);
}

/* One step of an apply, run under the retry policy. */
struct step {
	tk_ctx *ctx;
	const char *name;
	const struct watch_section *sec;
	enum step_kind {
		STEP_ENABLE,
		STEP_RENAME,
		STEP_MAC,
		STEP_MTU,
		STEP_MASTER,
		STEP_ADDR,
		STEP_UP
	} kind;
	const tk_ip_addr *addr;
};

static tk_status step_once(void *user, tk_error *err)
{
	const struct step *s = user;
	switch (s->kind) {
	case STEP_ENABLE:
		return tk_adapter_set_enabled(s->ctx, s->name, s->sec->enable, err);
	case STEP_RENAME:
		return tk__backend_watch_rename(s->ctx, s->name, s->sec->connection_name, err);
	case STEP_MAC:
		return tk_adapter_set_mac(s->ctx, s->name, s->sec->mac, err);
	case STEP_MTU:
		return tk_adapter_set_mtu(s->ctx, s->name, s->sec->mtu, err);
	case STEP_MASTER:
		return tk_adapter_set_master(s->ctx, s->name, s->sec->master, err);
	case STEP_ADDR:
		return tk_adapter_addr_add(s->ctx, s->name, s->addr, err);
	case STEP_UP:
		return tk_adapter_set_up(s->ctx, s->name, s->sec->up, err);
	}
	return TK_E_INTERNAL;
}

static void step_describe(const struct step *s, char *buf, size_t size)
{
	char tmp[64];
	switch (s->kind) {
	case STEP_ENABLE:
		tk__snprintf(buf, size, "%s the device", s->sec->enable ? "enable" : "disable");
		return;
	case STEP_RENAME:
		tk__snprintf(buf, size, "rename to %s", s->sec->connection_name);
		return;
	case STEP_MAC:
		tk__snprintf(buf, size, "set mac %s", tk_mac_format(s->sec->mac, tmp, sizeof(tmp)));
		return;
	case STEP_MTU:
		tk__snprintf(buf, size, "set mtu %u", s->sec->mtu);
		return;
	case STEP_MASTER:
		tk__snprintf(buf, size, "set master %s", s->sec->master);
		return;
	case STEP_ADDR:
		tk__snprintf(buf, size, "add address %s",
			     tk_ip_addr_format(s->addr, tmp, sizeof(tmp)));
		return;
	case STEP_UP:
		tk__snprintf(buf, size, "set %s", s->sec->up ? "up" : "down");
		return;
	}
	buf[0] = '\0';
}

/* Runs one step; returns its status with EXISTS on an address already there counted as done. */
static tk_status step_run(tk_watch *w, struct step *s, tk_error *err)
{
	char what[128];
	step_describe(s, what, sizeof(what));
	tk_log_field f[] = { { "adapter", s->name }, { "action", what } };
	tk_status st = tk_retry_run(w->ctx, &w->ctx->retry, what, step_once, s, err);
	if (st == TK_E_EXISTS && s->kind == STEP_ADDR) {
		tk__log(w->ctx, TK_LOG_INFO, "core.watch", f, TK_ARRAY_SIZE(f),
			"%s: %s: already present", s->name, what);
		memset(err, 0, sizeof(*err));
		return TK_OK;
	}
	if (st == TK_OK) {
		tk__log(w->ctx, TK_LOG_INFO, "core.watch", f, TK_ARRAY_SIZE(f), "%s: %s", s->name,
			what);
		return TK_OK;
	}
	tk_log_field ff[] = { { "adapter", s->name },
			      { "action", what },
			      { "cause", tk_status_name(st) },
			      { "remedy", err->remedy } };
	tk__log(w->ctx, TK_LOG_WARN, "core.watch", ff, TK_ARRAY_SIZE(ff), "%s: %s failed: %s",
		s->name, what, err->message);
	return st;
}

static bool adapter_present(tk_watch *w, const char *name, uint32_t ifindex)
{
	tk_adapter_info info;
	tk_error e = { 0 };
	return tk_adapter_get(w->ctx, name, &info, &e) == TK_OK && info.ifindex == ifindex;
}

/* One adapter to configure, as the scan or the event described it. */
struct target {
	const char *name;
	uint32_t ifindex;
	const char *id;	 /* "" or NULL: unknown */
	bool disabled;	 /* Windows: the device is disabled */
	const char *why; /* what brought it here, for the log; NULL: at start */
};

static void step_add(struct step *steps, size_t *n, const struct step *base, enum step_kind kind)
{
	steps[*n] = *base;
	steps[*n].kind = kind;
	(*n)++;
}

/*
 * Applies section sec to an adapter, in the order that works on a live link: the device enabled
 * (Windows, Enable = true) and the connection renamed first, then the MAC (before anyone learns
 * the old one), MTU, bridge, addresses, and the link state last so the adapter comes up fully
 * configured. Enable = false only disables. Every step is tried even after one fails, except
 * when the adapter has gone: then the rest would only repeat "not found".
 */
static tk_status apply_section(tk_watch *w, const struct target *t, const struct watch_section *sec,
			       enum tk_watch_verdict verdict, tk_error *err)
{
	char trace[TK_TRACE_ID_MAX];
	char line[32];
	char name[TK_NAME_MAX];
	tk_status first = TK_OK;
	tk_error first_err;
	memset(&first_err, 0, sizeof(first_err));

	tk__strlcpy(name, t->name, sizeof(name));
	tk_trace_begin(w->ctx, NULL, trace, sizeof(trace));
	tk__snprintf(line, sizeof(line), "%u", sec->line);
	tk_log_field f[] = { { "adapter", name }, { "config", w->cfg->origin }, { "line", line } };
	tk__log(w->ctx, TK_LOG_INFO, "core.watch", f, TK_ARRAY_SIZE(f),
		"%s (ifindex %u%s%s%s%s): applying [Adapter] of %s:%u", name, t->ifindex,
		t->id && t->id[0] == '{' ? ", " : "", t->id && t->id[0] == '{' ? t->id : "",
		t->why ? ", " : "", t->why ? t->why : "", w->cfg->origin, sec->line);

	struct step steps[7 + TK_MAX_ADDRS];
	size_t n = 0;
	const struct step base = { .ctx = w->ctx, .name = name, .sec = sec };
	if (verdict == TK_WATCH_ENABLE_AND_APPLY || verdict == TK_WATCH_DISABLE_ONLY)
		step_add(steps, &n, &base, STEP_ENABLE);
	if (verdict != TK_WATCH_DISABLE_ONLY) {
		if (tk__watchlogic_rename_due(sec->rename_line ? sec->connection_name : "", name))
			step_add(steps, &n, &base, STEP_RENAME);
		if (sec->mac_line)
			step_add(steps, &n, &base, STEP_MAC);
		if (sec->mtu_line)
			step_add(steps, &n, &base, STEP_MTU);
		if (sec->master_line)
			step_add(steps, &n, &base, STEP_MASTER);
		for (size_t i = 0; i < sec->naddrs; i++) {
			step_add(steps, &n, &base, STEP_ADDR);
			steps[n - 1].addr = &sec->addrs[i];
		}
		if (sec->up_line)
			step_add(steps, &n, &base, STEP_UP);
	}
	for (size_t i = 0; i < n; i++) {
		tk_error e = { 0 };
		tk_status st = step_run(w, &steps[i], &e);
		if (st == TK_OK) {
			if (steps[i].kind == STEP_RENAME) {
				/* The rest goes to the new name; the scan must not see a stranger. */
				tk__strlcpy(name, sec->connection_name, sizeof(name));
				(void)seen_remember(w, t->ifindex, t->id, name);
			}
			continue;
		}
		if (first == TK_OK) {
			first = st;
			first_err = e;
		}
		/* "Not found" may name the bridge; only a gone adapter makes the rest pointless. */
		if ((st == TK_E_ADAPTER_NOT_FOUND || st == TK_E_DEVICE_VANISHED) &&
		    !adapter_present(w, name, t->ifindex))
			break;
		/* A device that stayed disabled takes no MTU or address. */
		if (steps[i].kind == STEP_ENABLE)
			break;
	}
	if (first == TK_OK)
		tk__log(w->ctx, TK_LOG_INFO, "core.watch", f, TK_ARRAY_SIZE(f),
			"%s: configured (%zu actions)", name, n);
	else
		tk__log(w->ctx, TK_LOG_WARN, "core.watch", f, TK_ARRAY_SIZE(f),
			"%s: configuration incomplete: %s (%s)", name, tk_status_name(first),
			first_err.message);
	tk_trace_end(w->ctx);
	if (first != TK_OK)
		*err = first_err;
	return first;
}

/* Applies the matching section (if any) to one adapter and remembers this incarnation. */
static tk_status apply_one(tk_watch *w, const struct target *t, bool *applied, tk_error *err)
{
	*applied = false;
	int idx = section_for(w->cfg, t->name, t->id);
	if (idx < 0) {
		tk__log(w->ctx, TK_LOG_DEBUG, "core.watch", NULL, 0,
			"%s: no section matches, left alone", t->name);
		return TK_OK;
	}
	const struct watch_section *sec = &w->cfg->s[idx];
	enum tk_watch_verdict v =
		tk__watchlogic_verdict(t->disabled, sec->enable_line != 0, sec->enable);
	if (v == TK_WATCH_LEAVE_DISABLED || v == TK_WATCH_LEAVE_ALONE) {
		tk_log_field f[] = { { "adapter", t->name } };
		tk__log(w->ctx, TK_LOG_INFO, "core.watch", f, TK_ARRAY_SIZE(f),
			"%s: disabled; left alone (%s:%u %s)", t->name, w->cfg->origin, sec->line,
			v == TK_WATCH_LEAVE_ALONE ? "says Enable = false"
						  : "has no Enable = true to re-enable it");
		return TK_OK;
	}
	/* Remember first: our own changes raise link events that must not re-apply. */
	if (!seen_remember(w, t->ifindex, t->id, t->name))
		return tk__error_set(w->ctx, err, TK_E_NO_MEMORY, "watch", t->name, TK_OS_NONE, 0,
				     "cannot remember the adapter");
	*applied = true;
	return apply_section(w, t, sec, v, err);
}

/* Windows: CM problem 22, the device is disabled (0 on Linux). */
#define TK__PROBLEM_DISABLED 22u

static tk_status apply_existing(tk_watch *w, bool again, size_t *applied, size_t *failed,
				tk_error *err)
{
	tk_adapter_info *list = NULL;
	size_t count = 0;
	size_t nok = 0, nfail = 0;
	tk_status first = TK_OK;

	tk_status st = tk_adapter_list(w->ctx, &list, &count, err);
	if (st != TK_OK)
		return st;
	for (size_t i = 0; i < count; i++) {
		const tk_adapter_info *a = &list[i];
		const struct seen *s = seen_find(w, a->ifindex, a->id);
		if (!again && s && strcmp(s->name, a->name) == 0)
			continue;
		tk_error e = { 0 };
		bool did;
		struct target t = { .name = a->name,
				    .ifindex = a->ifindex,
				    .id = a->id,
				    .disabled = a->problem_code == TK__PROBLEM_DISABLED };
		st = apply_one(w, &t, &did, &e);
		if (!did)
			continue;
		if (st == TK_OK) {
			nok++;
		} else {
			nfail++;
			if (first == TK_OK) {
				first = st;
				*err = e;
			}
		}
	}
	tk_adapter_list_free(list);
	if (applied)
		*applied = nok;
	if (failed)
		*failed = nfail;
	return first;
}

tk_status tk_watch_new(tk_ctx *ctx, tk_watch_config *cfg, tk_watch **out, tk_error *err)
{
	tk_error local = { 0 };
	if (!err)
		err = &local;
	if (!tk__ctx_check(ctx, err, "watch")) {
		tk_watch_config_free(cfg);
		return err->status;
	}
	int tok = tk__call_begin(ctx, err);
	tk_status st;
	tk_watch *w = NULL;
	if (!cfg || !out) {
		st = tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "watch", "", TK_OS_NONE, 0,
				   "API misuse: cfg and out are required");
		goto out;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		st = tk__error_set(ctx, err, TK_E_NO_MEMORY, "watch", "", TK_OS_NONE, 0,
				   "cannot allocate the watch");
		goto out;
	}
	w->magic = TK__WATCH_MAGIC;
	w->ctx = ctx;
	w->cfg = cfg;
	cfg = NULL;
	st = tk__backend_watch_open(ctx, &w->os, err);
	if (st != TK_OK)
		goto out;
	tk__log(ctx, TK_LOG_INFO, "core.watch", NULL, 0, "watching adapters for %s (%zu sections)",
		w->cfg->origin, w->cfg->n);
	*out = w;
	w = NULL;
out:
	tk_watch_free(w);
	tk_watch_config_free(cfg);
	tk__call_end(ctx, tok);
	return st;
}

void tk_watch_free(tk_watch *w)
{
	if (!w || w->magic != TK__WATCH_MAGIC)
		return;
	if (w->os)
		tk__backend_watch_close(w->os);
	tk_watch_config_free(w->cfg);
	free(w->seen);
	free(w->pending);
	w->magic = 0;
	free(w);
}

tk_status tk_watch_apply_all(tk_watch *w, size_t *applied, size_t *failed, tk_error *err)
{
	tk_error local = { 0 };
	if (!err)
		err = &local;
	if (!watch_ok(w, err, "watch"))
		return err->status;
	int tok = tk__call_begin(w->ctx, err);
	tk_status st = apply_existing(w, false, applied, failed, err);
	tk__call_end(w->ctx, tok);
	return st;
}

tk_status tk_watch_apply(tk_watch *w, const char *name, tk_error *err)
{
	tk_error local = { 0 };
	if (!err)
		err = &local;
	if (!watch_ok(w, err, "watch"))
		return err->status;
	int tok = tk__call_begin(w->ctx, err);
	tk_adapter_info info;
	bool did;
	memset(&info, 0, sizeof(info));
	tk_status st = tk_adapter_get(w->ctx, name, &info, err);
	struct target t = { .name = info.name,
			    .ifindex = info.ifindex,
			    .id = info.id,
			    .disabled = info.problem_code == TK__PROBLEM_DISABLED };
	if (st == TK_OK)
		st = apply_one(w, &t, &did, err);
	tk__call_end(w->ctx, tok);
	return st;
}

static void on_event(void *user, const struct tk__link_event *ev)
{
	tk_watch *w = user;
	if (ev->removed) {
		if (seen_find(w, ev->ifindex, ev->id))
			tk__log(w->ctx, TK_LOG_INFO, "core.watch", NULL, 0, "%s (ifindex %u) is %s",
				ev->name, ev->ifindex, ev->why ? ev->why : "gone");
		seen_forget(w, ev->ifindex, ev->id);
		for (size_t i = 0; i < w->npending; i++)
			if (seen_is(&w->pending[i], ev->ifindex, ev->id))
				w->pending[i].name[0] = '\0';
		return;
	}
	const struct seen *s = seen_find(w, ev->ifindex, ev->id);
	if (s && strcmp(s->name, ev->name) == 0)
		return; /* the same incarnation: a state change, maybe our own */
	if (!list_push(&w->pending, &w->npending, &w->cappending, ev->ifindex, ev->id, ev->name)) {
		w->pending_st = TK_E_NO_MEMORY;
		return;
	}
	w->pending[w->npending - 1].disabled = ev->disabled;
	w->pending[w->npending - 1].why = ev->why; /* a static string */
}

tk_status tk_watch_dispatch(tk_watch *w, int timeout_ms, tk_error *err)
{
	tk_error local = { 0 };
	if (!err)
		err = &local;
	if (!watch_ok(w, err, "watch"))
		return err->status;
	memset(err, 0, sizeof(*err));
	bool lost = false;
	w->npending = 0;
	w->pending_st = TK_OK;
	tk_status st = tk__backend_watch_read(w->ctx, w->os, timeout_ms, on_event, w, &lost, err);
	if (st != TK_OK)
		return st;
	for (size_t i = 0; i < w->npending; i++) {
		const struct seen *p = &w->pending[i];
		if (!p->name[0])
			continue; /* created and deleted within one read */
		const struct seen *s = seen_find(w, p->ifindex, p->id);
		if (s && strcmp(s->name, p->name) == 0)
			continue; /* two events of one appearance in this read */
		tk_error e = { 0 };
		bool did;
		struct target t = { .name = p->name,
				    .ifindex = p->ifindex,
				    .id = p->id,
				    .disabled = p->disabled,
				    .why = p->why };
		(void)apply_one(w, &t, &did, &e); /* logged inside */
	}
	if (lost || w->pending_st != TK_OK) {
		/* Events were dropped: what exists now is the truth, rescan it. */
		tk__log(w->ctx, TK_LOG_WARN, "core.watch", NULL, 0,
			"link events were lost; rescanning the adapters");
		tk_error e = { 0 };
		(void)apply_existing(w, false, NULL, NULL, &e);
	}
	return TK_OK;
}

tk_os_handle tk_watch_handle(const tk_watch *w)
{
	return watch_valid(w) ? tk__backend_watch_handle(w->os) : TK_OS_HANDLE_INVALID;
}

tk_status tk_watch_reload(tk_watch *w, tk_watch_config *cfg, tk_error *err)
{
	tk_error local = { 0 };
	if (!err)
		err = &local;
	if (!watch_ok(w, err, "reload")) {
		tk_watch_config_free(cfg);
		return err->status;
	}
	int tok = tk__call_begin(w->ctx, err);
	tk_status st;
	if (!cfg) {
		st = tk__error_set(w->ctx, err, TK_E_BAD_ARGUMENT, "reload", "", TK_OS_NONE, 0,
				   "API misuse: cfg is required");
	} else {
		tk_watch_config_free(w->cfg);
		w->cfg = cfg;
		w->nseen = 0;
		tk__log(w->ctx, TK_LOG_INFO, "core.watch", NULL, 0,
			"reloaded %s (%zu sections); applying to existing adapters", cfg->origin,
			cfg->n);
		st = apply_existing(w, true, NULL, NULL, err);
	}
	tk__call_end(w->ctx, tok);
	return st;
}
