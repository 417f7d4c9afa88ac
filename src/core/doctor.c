/* SPDX-License-Identifier: MIT */
/*
 * The doctor's frame, platform-free: tk_doctor_run checks its arguments, starts a trace, lets
 * the backend add its ordered checks through the builder below, and turns them into a report.
 *
 * Checks are built in separately allocated nodes and copied into one array at the end, so a
 * backend may keep a tk_check pointer while it adds more checks (a realloc'd array would move
 * them under it).
 */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_node {
	struct check_node *next;
	tk_check check;
};

struct tk__doctor {
	tk_ctx *ctx;
	struct check_node *head;
	struct check_node **tail;
	size_t count;
	bool out_of_memory;
	tk_check scratch; /* handed out when a node cannot be allocated */
};

struct tk__doctor *tk__doctor_new(tk_ctx *ctx)
{
	struct tk__doctor *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ctx = ctx;
	d->tail = &d->head;
	return d;
}

static void doctor_free(struct tk__doctor *d)
{
	if (!d)
		return;
	struct check_node *n = d->head;
	while (n) {
		struct check_node *next = n->next;
		free(n);
		n = next;
	}
	free(d);
}

tk_check *tk__doctor_add(struct tk__doctor *d, const char *id, const char *title,
			 const char *object)
{
	struct check_node *n = calloc(1, sizeof(*n));
	tk_check *c;
	if (n) {
		*d->tail = n;
		d->tail = &n->next;
		d->count++;
		c = &n->check;
	} else {
		d->out_of_memory = true;
		memset(&d->scratch, 0, sizeof(d->scratch));
		c = &d->scratch;
	}
	tk__strlcpy(c->id, id, sizeof(c->id));
	tk__strlcpy(c->title, title, sizeof(c->title));
	tk__strlcpy(c->object, object, sizeof(c->object));
	/* A check the backend forgets to finish must not pass silently. */
	c->status = TK_CHECK_FAIL;
	c->cause = TK_E_INTERNAL;
	tk__strlcpy(c->summary, "the check did not record a result (a bug in tapkit)",
		    sizeof(c->summary));
	return c;
}

const tk_check *tk__doctor_find(const struct tk__doctor *d, const char *id, const char *object)
{
	const tk_check *found = NULL;
	for (const struct check_node *n = d->head; n; n = n->next) {
		if (strcmp(n->check.id, id) != 0)
			continue;
		if (object && strcmp(n->check.object, object) != 0)
			continue;
		found = &n->check; /* keep going: the most recent one wins */
	}
	return found;
}

bool tk__doctor_skip_unless_ok(struct tk__doctor *d, tk_check *c, const char *dep_id)
{
	const tk_check *dep = tk__doctor_find(d, dep_id, c->object);
	if (!dep)
		dep = tk__doctor_find(d, dep_id, "");
	if (!dep)
		dep = tk__doctor_find(d, dep_id, NULL);
	if (dep && dep != c && (dep->status == TK_CHECK_OK || dep->status == TK_CHECK_WARN))
		return false;

	/* Point at the root of a chain of skips, the check that actually failed. */
	const char *because = dep_id;
	if (dep && dep->status == TK_CHECK_SKIPPED && dep->skipped_because[0])
		because = dep->skipped_because;
	c->status = TK_CHECK_SKIPPED;
	c->cause = TK_OK;
	c->os_kind = TK_OS_NONE;
	c->os_code = 0;
	c->remedy[0] = '\0';
	tk__strlcpy(c->skipped_because, because, sizeof(c->skipped_because));
	if (dep)
		tk__snprintf(c->summary, sizeof(c->summary), "skipped because %s failed", because);
	else
		tk__snprintf(c->summary, sizeof(c->summary), "skipped because %s did not run",
			     because);
	return true;
}

static void check_set(tk_check *c, tk_check_status status, tk_status cause, tk_os_kind kind,
		      int64_t code, const char *fmt, va_list ap) TK_PRINTF(6, 0);

static void check_set(tk_check *c, tk_check_status status, tk_status cause, tk_os_kind kind,
		      int64_t code, const char *fmt, va_list ap)
{
	c->status = status;
	c->cause = cause;
	c->os_kind = kind;
	c->os_code = kind == TK_OS_NONE ? 0 : code;
	c->skipped_because[0] = '\0';
	int n = vsnprintf(c->summary, sizeof(c->summary), fmt, ap);
	if (n < 0)
		c->summary[0] = '\0';
	else if ((size_t)n >= sizeof(c->summary))
		tk__strlcpy(c->summary + sizeof(c->summary) - 4, "...", 4);
}

void tk__check_ok(tk_check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_set(c, TK_CHECK_OK, TK_OK, TK_OS_NONE, 0, fmt, ap);
	va_end(ap);
	c->remedy[0] = '\0';
}

void tk__check_warn(tk_check *c, tk_status cause, tk_os_kind kind, int64_t code, const char *fmt,
		    ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_set(c, TK_CHECK_WARN, cause, kind, code, fmt, ap);
	va_end(ap);
}

void tk__check_fail(tk_check *c, tk_status cause, tk_os_kind kind, int64_t code, const char *fmt,
		    ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_set(c, TK_CHECK_FAIL, cause, kind, code, fmt, ap);
	va_end(ap);
}

void tk__check_remedy(tk_check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->remedy, sizeof(c->remedy), fmt, ap);
	va_end(ap);
	if (n < 0)
		c->remedy[0] = '\0';
	else if ((size_t)n >= sizeof(c->remedy))
		tk__strlcpy(c->remedy + sizeof(c->remedy) - 4, "...", 4);
}

void tk__check_evidence(tk_check *c, const char *key, const char *fmt, ...)
{
	/* Keys are unique within a check (the JSON report makes them object members). */
	tk_evidence *e = NULL;
	for (size_t i = 0; i < c->nevidence && !e; i++)
		if (strcmp(c->evidence[i].key, key) == 0)
			e = &c->evidence[i];
	if (!e) {
		if (c->nevidence >= TK_CHECK_MAX_EVIDENCE)
			return;
		e = &c->evidence[c->nevidence++];
		tk__strlcpy(e->key, key, sizeof(e->key));
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->value, sizeof(e->value), fmt, ap);
	va_end(ap);
	if (n < 0)
		e->value[0] = '\0';
	else if ((size_t)n >= sizeof(e->value))
		tk__strlcpy(e->value + sizeof(e->value) - 4, "...", 4);
}

void tk__check_from_error(tk_check *c, const tk_error *err)
{
	tk__check_fail(c, err->status, err->os_kind, err->os_code, "%s", err->message);
	if (err->remedy[0])
		tk__strlcpy(c->remedy, err->remedy, sizeof(c->remedy));
	else
		c->remedy[0] = '\0';
	if (err->op[0])
		tk__check_evidence(c, "op", "%s", err->op);
	if (err->os_kind != TK_OS_NONE) {
		tk__check_evidence(c, tk_os_kind_name(err->os_kind), "%lld",
				   (long long)err->os_code);
		if (err->os_text[0])
			tk__check_evidence(c, "os_text", "%s", err->os_text);
	}
	if (err->holder_pid)
		tk__check_evidence(c, "holder", "%s (pid %lu)",
				   err->holder_name[0] ? err->holder_name : "?",
				   (unsigned long)err->holder_pid);
	if (err->trace_id[0])
		tk__check_evidence(c, "trace", "%s", err->trace_id);
}

void tk__check_skip_host(tk_check *c, const char *host, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_set(c, TK_CHECK_SKIPPED, TK_OK, TK_OS_NONE, 0, fmt, ap);
	va_end(ap);
	c->remedy[0] = '\0';
	tk__strlcpy(c->skipped_because, host, sizeof(c->skipped_because));
}

/*
 * A fix inside the doctor's own report never sends the reader to the doctor. Remedies shared
 * with the API's errors may say "run `tapkit doctor`": that clause (between "; ") is dropped,
 * and a remedy left empty falls back to the catalogue's for the cause.
 */
static void drop_self_reference(tk_check *c)
{
	static const char self[] = "`tapkit doctor`";
	if (!strstr(c->remedy, self))
		return;
	char out[sizeof(c->remedy)] = "";
	size_t used = 0;
	const char *p = c->remedy;
	while (*p) {
		const char *end = strstr(p, "; ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char clause[sizeof(c->remedy)];
		memcpy(clause, p, n);
		clause[n] = '\0';
		if (!strstr(clause, self)) {
			tk__snprintf(out + used, sizeof(out) - used, "%s%s", used ? "; " : "",
				     clause);
			used = strlen(out);
		}
		p = end ? end + 2 : p + n;
	}
	if (!out[0] && !strstr(tk_status_remedy(c->cause), self))
		tk__strlcpy(out, tk_status_remedy(c->cause), sizeof(out));
	tk__strlcpy(c->remedy, out, sizeof(c->remedy));
}

tk_status tk__doctor_finish(struct tk__doctor *d, tk_report **out, tk_error *err)
{
	tk_status st = TK_OK;
	tk_report *rep = NULL;

	if (d->out_of_memory) {
		st = tk__error_set(d->ctx, err, TK_E_NO_MEMORY, "doctor", "", TK_OS_NONE, 0,
				   "cannot allocate the checks of the report");
		goto out;
	}
	rep = calloc(1, sizeof(*rep));
	/* One element at least, so that an empty report still has a valid array. */
	if (!rep || !(rep->checks = calloc(d->count ? d->count : 1, sizeof(tk_check)))) {
		st = tk__error_set(d->ctx, err, TK_E_NO_MEMORY, "doctor", "", TK_OS_NONE, 0,
				   "cannot allocate the report");
		goto out_free;
	}
	for (const struct check_node *n = d->head; n && rep->nchecks < d->count; n = n->next) {
		tk_check *c = &rep->checks[rep->nchecks++];
		*c = n->check;
		switch (c->status) {
		case TK_CHECK_OK:
			rep->nok++;
			break;
		case TK_CHECK_WARN:
			rep->nwarn++;
			break;
		case TK_CHECK_FAIL:
			rep->nfail++;
			break;
		case TK_CHECK_SKIPPED:
			rep->nskipped++;
			break;
		}
		if ((c->status == TK_CHECK_WARN || c->status == TK_CHECK_FAIL) && !c->remedy[0])
			tk__strlcpy(c->remedy, tk_status_remedy(c->cause), sizeof(c->remedy));
		drop_self_reference(c);
	}
	tk__strlcpy(rep->trace_id, tk__trace_current(), sizeof(rep->trace_id));
	*out = rep;
	rep = NULL;
out_free:
	if (rep)
		free(rep->checks);
	free(rep);
out:
	doctor_free(d);
	return st;
}

static tk_status run_checks(tk_ctx *ctx, const tk_doctor_opts *opts, tk_report **out, tk_error *err)
{
	if (!out)
		return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "doctor", "", TK_OS_NONE, 0,
				     "API misuse: out is required");
	if (opts->flags)
		return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "doctor", "", TK_OS_NONE, 0,
				     "API misuse: flags 0x%x are reserved and must be 0",
				     (unsigned)opts->flags);
	if (opts->adapter && *opts->adapter) {
		tk_status st = tk__backend_name_check(opts->adapter, err);
		if (st != TK_OK) {
			tk__error_log(ctx, err);
			return st;
		}
	}

	struct tk__doctor *d = tk__doctor_new(ctx);
	if (!d)
		return tk__error_set(ctx, err, TK_E_NO_MEMORY, "doctor", "", TK_OS_NONE, 0,
				     "cannot allocate the report");
	tk_status st = TK_OK;
	if (opts->program && *opts->program)
		tk__doctor_program(ctx, opts->program, d);
	else
		st = tk__backend_doctor(ctx, opts, d, err);
	if (st != TK_OK) {
		doctor_free(d);
		return st;
	}
	tk_report *rep = NULL;
	st = tk__doctor_finish(d, &rep, err);
	if (st != TK_OK || !rep)
		return st != TK_OK ? st : TK_E_INTERNAL;
	tk__log(ctx, TK_LOG_INFO, "core.doctor", NULL, 0,
		"doctor: %zu checks: %zu ok, %zu warn, %zu fail, %zu skipped", rep->nchecks,
		rep->nok, rep->nwarn, rep->nfail, rep->nskipped);
	*out = rep;
	return TK_OK;
}

tk_status tk_doctor_run(tk_ctx *ctx, const tk_doctor_opts *opts, tk_report **out, tk_error *err)
{
	tk_error local = { 0 };
	if (!err)
		err = &local;
	if (!tk__ctx_check(ctx, err, "doctor"))
		return err->status;
	static const tk_doctor_opts defaults = { 0 };
	int tok = tk__call_begin(ctx, err);
	tk_status st = run_checks(ctx, opts ? opts : &defaults, out, err);
	tk__call_end(ctx, tok);
	return st;
}
