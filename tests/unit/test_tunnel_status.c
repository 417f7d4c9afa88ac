/* SPDX-License-Identifier: MIT */
/*
 * `tapkit tunnel status` on the client side (cli/tunnel_status.c, cli/tunnel/control.c): the
 * text rendered from recorded status documents (tests/unit/fixtures/tunnel/) is exactly the
 * text users see (docs/tunnel.md, README); a document that lacks a field or has the wrong type
 * is refused naming the field and prints nothing; and against a fake server on a real abstract
 * UNIX socket, a truncated, garbage or empty answer is an error naming the cause, the socket
 * and the fix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tunnel/tunnel.h"
#include "tunnel_status.h"

static char *fixture(const char *name, size_t *len)
{
	const char *root = getenv("TK_SOURCE_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s%stests/unit/fixtures/tunnel/%s", root ? root : "",
		 root ? "/" : "", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	char *buf = calloc(1, 64 * 1024);
	assert_non_null(buf);
	*len = fread(buf, 1, 64 * 1024 - 1, f);
	fclose(f);
	return buf;
}

/* The text of doc, or NULL with err filled. */
static char *render(const char *doc, size_t len, tk_status *st, tk_error *err)
{
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);
	assert_non_null(f);
	*st = cli_tunnel_status_text(f, doc, len, "@test", err);
	fclose(f);
	return out;
}

static void compare(const char *json, const char *text)
{
	size_t jlen, tlen;
	char *doc = fixture(json, &jlen), *want = fixture(text, &tlen);
	tk_error err = { 0 };
	tk_status st;
	char *got = render(doc, jlen, &st, &err);
	if (st != TK_OK)
		fail_msg("%s: %s", json, err.message);
	assert_string_equal(got, want);
	assert_int_equal(cli_tunnel_status_check(doc, jlen, "@test", &err), TK_OK);
	free(got);
	free(want);
	free(doc);
}

static void text_from_recorded_documents(void **state)
{
	(void)state;
	compare("status-sealed.json", "status-sealed.txt");
	/* plain, no key, from flags, an adapter being reopened, a field added by a later version */
	compare("status-plain.json", "status-plain.txt");
}

/* doc with its first `from` replaced by `to` (malloc'd). */
static char *subst(const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	assert_non_null(at);
	size_t head = (size_t)(at - doc), n = strlen(doc) + strlen(to) + 1;
	char *out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)head, doc, to, at + strlen(from));
	return out;
}

/* doc is refused with TK_E_IO, nothing printed, the message containing want. */
static void refused(const char *doc, const char *want)
{
	tk_error err = { 0 };
	tk_status st;
	char *got = render(doc, strlen(doc), &st, &err);
	assert_int_equal(st, TK_E_IO);
	if (!strstr(err.message, want))
		fail_msg("message \"%s\" lacks \"%s\" (%.40s...)", err.message, want, doc);
	assert_string_equal(err.object, "@test");
	assert_non_null(strstr(err.remedy, "@test"));
	assert_string_equal(got, "");
	free(got);
}

static void documents_refused_naming_the_field(void **state)
{
	(void)state;
	size_t len;
	char *doc = fixture("status-sealed.json", &len);
	char *cut = strdup(doc);

	/* a well-formed document of another kind */
	refused("{\"version\":1,\"adapters\":[]}", "\"tunnel\" is missing");
	refused("{\"version\":0,\"tunnel\":{}}", "\"version\" is below 1");
	refused("[1]", "\"version\" is missing");
	/* a late field gone: nothing at all is printed (not half a status) */
	char *mac = strstr(cut, "\"age_ms\":1530");
	memcpy(mac, "\"agx_ms\"", 8);
	refused(cut, "\"tunnel.mac_table.entries[].age_ms\" is missing");
	memcpy(cut, doc, len + 1);
	char *rx = strstr(cut, "\"rx_frames\":19084");
	memcpy(rx + 12, "true ", 5);
	refused(cut, "\"tunnel.peers[].rx_frames\" is a boolean, not an integer");
	memcpy(cut, doc, len + 1);
	char *neg = subst(doc, "\"bad_tag\":3", "\"bad_tag\":-3");
	refused(neg, "\"tunnel.drops\" is not an object of counters");
	free(neg);
	char *ver = subst(doc, "{\"version\":1,", "{\"version\":\"1\",");
	refused(ver, "\"version\" is a string, not an integer");
	free(ver);
	/* cut anywhere: refused with the offset at which it ends */
	char want[64];
	for (size_t at = 1; at < len - 2; at += 97) {
		cut[at] = '\0';
		snprintf(want, sizeof(want), "at byte %zu of %zu", at, at);
		refused(cut, want);
		memcpy(cut, doc, len + 1);
	}
	free(cut);
	free(doc);
}

/* ---- a fake tunnel on an abstract socket: answers one client with canned bytes ---- */

struct fake {
	int lfd;
	const char *answer;
	size_t len;
	char where[108];
};

static void *fake_serve(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	char req[16];
	ssize_t r = read(fd, req, sizeof(req)); /* "json\n" */
	(void)r;
	if (f->len)
		(void)!write(fd, f->answer, f->len);
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, pthread_t *th, const char *answer, size_t len)
{
	static int n;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(f->where, sizeof(f->where), "@tapkit-test/status-%d-%d", (int)getpid(), n++);
	size_t wl = strlen(f->where);
	memcpy(sun.sun_path, f->where, wl);
	sun.sun_path[0] = '\0';
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + wl)),
			 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	f->answer = answer;
	f->len = len;
	assert_int_equal(pthread_create(th, NULL, fake_serve, f), 0);
}

/* status against a fake tunnel answering `answer`: its status and error. */
static tk_status query(const char *answer, size_t len, tk_error *err, char *where, size_t wsize)
{
	struct fake f;
	pthread_t th;
	char *doc = NULL;
	size_t dlen = 0;
	fake_start(&f, &th, answer, len);
	snprintf(where, wsize, "%s", f.where);
	tk_status st = control_query(f.where, &doc, &dlen, err);
	if (st == TK_OK) {
		FILE *null = fopen("/dev/null", "w");
		st = cli_tunnel_status_text(null, doc, dlen, f.where, err);
		fclose(null);
	}
	pthread_join(th, NULL);
	close(f.lfd);
	free(doc);
	return st;
}

static void expect_fake(const char *answer, size_t len, tk_status want, const char *cause)
{
	tk_error err = { 0 };
	char where[108];
	tk_status st = query(answer, len, &err, where, sizeof(where));
	assert_int_equal(st, want);
	if (!strstr(err.message, cause))
		fail_msg("answer \"%.*s\": message \"%s\" lacks \"%s\"", (int)len, answer,
			 err.message, cause);
	assert_string_equal(err.object, where);
	assert_true(err.remedy[0] != '\0');
}

static void bad_answers_from_a_fake_tunnel(void **state)
{
	(void)state;
	size_t len;
	char *doc = fixture("status-sealed.json", &len);
	tk_error err = { 0 };
	char where[108];

	/* the real document through the real socket code: fine */
	assert_int_equal(query(doc, len, &err, where, sizeof(where)), TK_OK);
	/* cut short (the tunnel stopped mid-answer) */
	char want[64];
	snprintf(want, sizeof(want), "at byte %zu of %zu", len / 2, len / 2);
	expect_fake(doc, len / 2, TK_E_IO, "not a valid status document: unterminated string");
	expect_fake(doc, len / 2, TK_E_IO, want);
	expect_fake(doc, len - 2, TK_E_IO, "truncated object"); /* "}\n" cut */
	/* another program on the socket */
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	expect_fake(http, sizeof(http) - 1, TK_E_IO,
		    "unexpected character (expected a value) at byte 0");
	static const char bin[] = "\x00\x01\x02";
	expect_fake(bin, 3, TK_E_IO, "at byte 0 of 3");
	/* an old daemon's text answer */
	static const char text[] = "tunnel tk0 (pid 1): mode plain\n";
	expect_fake(text, sizeof(text) - 1, TK_E_IO, "not a valid status document");
	/* hung up without a byte: the refusal of a caller that may not ask */
	expect_fake("", 0, TK_E_NO_PRIVILEGE, "hung up without an answer");
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_from_recorded_documents),
		cmocka_unit_test(documents_refused_naming_the_field),
		cmocka_unit_test(bad_answers_from_a_fake_tunnel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
