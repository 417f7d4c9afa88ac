/* SPDX-License-Identifier: MIT */
/*
 * The tunnel status document rendered as text on the client side (tunnel_status.h). One pass
 * checks every field without writing, the second writes: a document that lacks a field late in
 * it prints nothing rather than half a status.
 */
#include "tunnel_status.h"

#include "cli.h"
#include "json_read.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

struct render {
	FILE *f;       /* NULL: the checking pass */
	char bad[160]; /* the first field that is missing or of the wrong type */
};

static void out(struct render *r, const char *fmt, ...) CLI_PRINTF(2, 3);
static void out(struct render *r, const char *fmt, ...)
{
	if (!r->f)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	vfprintf(r->f, fmt, ap);
	va_end(ap);
}

/* A string from the document: control characters shown as \xNN (it came over a socket). */
static void out_text(struct render *r, const char *s)
{
	if (r->f)
		cli_text_write(r->f, s);
}

static void bad(struct render *r, const char *path, const char *key, const char *what)
{
	if (!r->bad[0])
		snprintf(r->bad, sizeof(r->bad), "\"%s%s\" is %s", path, key, what);
}

static const struct cli_jval *field(struct render *r, const struct cli_jval *o, const char *path,
				    const char *key, enum cli_jtype type, bool nullable)
{
	static const char *const names[] = { "null",	 "a boolean", "an integer",
					     "a string", "an array",  "an object" };
	const struct cli_jval *v = cli_jget(o, key);
	if (!v) {
		bad(r, path, key, "missing");
		return NULL;
	}
	if (v->type == CLI_J_NULL && nullable)
		return NULL;
	if (v->type != type) {
		char what[48];
		snprintf(what, sizeof(what), "%s, not %s", names[v->type], names[type]);
		bad(r, path, key, what);
		return NULL;
	}
	return v;
}

/* A counter: an integer of at least 0 (0 when missing, with the first problem recorded). */
static uint64_t num(struct render *r, const struct cli_jval *o, const char *path, const char *key)
{
	const struct cli_jval *v = field(r, o, path, key, CLI_J_INT, false);
	if (v && v->i < 0)
		bad(r, path, key, "negative");
	return v && v->i >= 0 ? (uint64_t)v->i : 0;
}

static const char *str(struct render *r, const struct cli_jval *o, const char *path,
		       const char *key, bool nullable)
{
	const struct cli_jval *v = field(r, o, path, key, CLI_J_STRING, nullable);
	return v ? v->s : NULL;
}

static bool flag(struct render *r, const struct cli_jval *o, const char *path, const char *key)
{
	const struct cli_jval *v = field(r, o, path, key, CLI_J_BOOL, false);
	return v && v->b;
}

/* "bad_vni 3, replay 1" for the non-zero counters of a drops object, in its order; or "none". */
static void drops(struct render *r, const struct cli_jval *o, const char *path)
{
	const struct cli_jval *d = field(r, o, path, "drops", CLI_J_OBJECT, false);
	bool any = false;
	for (const struct cli_jval *m = d ? d->first : NULL; m; m = m->next) {
		if (m->type != CLI_J_INT || m->i < 0) {
			bad(r, path, "drops", "not an object of counters");
			return;
		}
		if (!m->i)
			continue;
		out(r, "%s", any ? ", " : "");
		out_text(r, m->key);
		out(r, " %" PRId64, m->i);
		any = true;
	}
	out(r, "%s", any ? "\n" : "none\n");
}

static void peer(struct render *r, const struct cli_jval *p, bool sealed)
{
	static const char path[] = "tunnel.peers[].";
	if (p->type != CLI_J_OBJECT) {
		bad(r, "tunnel.", "peers[]", "not an object");
		return;
	}
	out(r, "\npeer ");
	out_text(r, str(r, p, path, "endpoint", false));
	out(r, "\n");
	const char *key = str(r, p, path, "public_key", true);
	if (key) {
		out(r, "  public key:  ");
		out_text(r, key);
		out(r, "\n");
	}
	const struct cli_jval *ago = field(r, p, path, "last_seen_ago_ms", CLI_J_INT, true);
	if (ago)
		out(r, "  last seen:   %.1f s ago\n", (double)ago->i / 1e3);
	else
		out(r, "  last seen:   never\n");
	uint64_t rf = num(r, p, path, "rx_frames"), rb = num(r, p, path, "rx_bytes");
	uint64_t tf = num(r, p, path, "tx_frames"), tb = num(r, p, path, "tx_bytes");
	out(r, "  in:          %" PRIu64 " frames, %" PRIu64 " bytes\n", rf, rb);
	out(r, "  out:         %" PRIu64 " frames, %" PRIu64 " bytes\n", tf, tb);
	uint64_t sessions = num(r, p, path, "sessions");
	if (sealed)
		out(r, "  sessions:    %" PRIu64 "\n", sessions);
	out(r, "  drops:       ");
	drops(r, p, path);
}

static void mac_table(struct render *r, const struct cli_jval *t)
{
	static const char path[] = "tunnel.mac_table.", epath[] = "tunnel.mac_table.entries[].";
	const struct cli_jval *m = field(r, t, "tunnel.", "mac_table", CLI_J_OBJECT, false);
	uint64_t count = num(r, m, path, "count"), cap = num(r, m, path, "capacity");
	uint64_t age = num(r, m, path, "age_s");
	out(r, "\nMAC table: %" PRIu64 " of %" PRIu64 " entries, aged after %" PRIu64 " s\n", count,
	    cap, age);
	const struct cli_jval *es = field(r, m, path, "entries", CLI_J_ARRAY, false);
	for (const struct cli_jval *e = es ? es->first : NULL; e; e = e->next) {
		if (e->type != CLI_J_OBJECT) {
			bad(r, path, "entries[]", "not an object");
			return;
		}
		const char *mac = str(r, e, epath, "mac", false);
		const char *p = str(r, e, epath, "peer", false);
		uint64_t ms = num(r, e, epath, "age_ms");
		if (!mac || !p)
			return;
		out(r, "  ");
		out_text(r, mac);
		out(r, "  ");
		out_text(r, p);
		out(r, "%*s %.1f s\n", strlen(p) < 24 ? (int)(24 - strlen(p)) : 0, "",
		    (double)ms / 1e3);
	}
}

static void render(struct render *r, const struct cli_jval *root)
{
	const struct cli_jval *v = field(r, root, "", "version", CLI_J_INT, false);
	if (v && v->i < 1)
		bad(r, "", "version", "below 1");
	const struct cli_jval *t = field(r, root, "", "tunnel", CLI_J_OBJECT, false);
	if (!t)
		return;
	static const char path[] = "tunnel.";
	const char *mode = str(r, t, path, "mode", false);
	const char *listen = str(r, t, path, "listen", false);
	const char *adapter = str(r, t, path, "adapter", false);
	uint64_t pid = num(r, t, path, "pid"), vni = num(r, t, path, "vni");
	uint64_t up = num(r, t, path, "uptime_s"), mtu = num(r, t, path, "mtu");
	bool open = flag(r, t, path, "adapter_open");
	uint64_t reopens = num(r, t, path, "adapter_reopens");
	const char *key = str(r, t, path, "public_key", true);
	const char *config = str(r, t, path, "config", true);
	uint64_t reloads = num(r, t, path, "reloads");
	uint64_t rejected = num(r, t, path, "reload_failures");
	if (!mode || !listen || !adapter)
		return;
	out(r, "tunnel ");
	out_text(r, adapter);
	out(r, " (pid %" PRIu64 "): mode ", pid);
	out_text(r, mode);
	out(r, ", vni %" PRIu64 ", listening on ", vni);
	out_text(r, listen);
	out(r, ", up %" PRIu64 " s\n", up);
	out(r, "  adapter:     %s, mtu %" PRIu64 ", reopened %" PRIu64 " time(s)\n",
	    open ? "open" : "reopening", mtu, reopens);
	if (key) {
		out(r, "  public key:  ");
		out_text(r, key);
		out(r, "\n");
	}
	out(r, "  config:      ");
	out_text(r, config ? config : "flags");
	out(r, " (reloaded %" PRIu64 ", rejected %" PRIu64 ")\n", reloads, rejected);
	out(r, "  drops:       ");
	drops(r, t, path);
	const struct cli_jval *peers = field(r, t, path, "peers", CLI_J_ARRAY, false);
	for (const struct cli_jval *p = peers ? peers->first : NULL; p && !r->bad[0]; p = p->next)
		peer(r, p, strcmp(mode, "sealed") == 0);
	mac_table(r, t);
}

static tk_status refuse(const char *where, tk_error *err, const char *fmt, ...) CLI_PRINTF(3, 4);
static tk_status refuse(const char *where, tk_error *err, const char *fmt, ...)
{
	va_list ap;
	memset(err, 0, sizeof(*err));
	err->status = TK_E_IO;
	snprintf(err->op, sizeof(err->op), "status");
	snprintf(err->object, sizeof(err->object), "%s", where);
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	snprintf(err->remedy, sizeof(err->remedy),
		 "run the status again (the tunnel may have stopped while answering); if it "
		 "persists, something other than this version of `tapkit tunnel run` answers on "
		 "%s: restart the tunnel with this tapkit",
		 where);
	return TK_E_IO;
}

/* Both passes: check (f NULL), then write. */
static tk_status status(FILE *f, const char *doc, size_t len, const char *where, tk_error *err)
{
	struct cli_jdoc d;
	struct cli_jerr je;

	if (len == 0)
		return refuse(where, err, "the tunnel closed the connection without an answer");
	if (!cli_jread(doc, len, &d, &je))
		return refuse(where, err,
			      "the tunnel's answer is not a valid status document: %s at byte %zu "
			      "of %zu",
			      je.msg, je.offset, len);
	struct render r = { 0 };
	render(&r, d.root);
	if (!r.bad[0] && f) {
		r.f = f;
		render(&r, d.root);
	}
	cli_jdoc_free(&d);
	if (r.bad[0])
		return refuse(where, err,
			      "the tunnel's answer is not a status document this tapkit reads: %s",
			      r.bad);
	return TK_OK;
}

tk_status cli_tunnel_status_check(const char *doc, size_t len, const char *where, tk_error *err)
{
	return status(NULL, doc, len, where, err);
}

tk_status cli_tunnel_status_text(FILE *f, const char *doc, size_t len, const char *where,
				 tk_error *err)
{
	return status(f, doc, len, where, err);
}
