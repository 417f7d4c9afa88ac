/* SPDX-License-Identifier: MIT */
/*
 * Least privilege (src/tunnel/user.c resolves User, cli/tunnel/privilege.c drops to it): User = USER[:GROUP] resolved or refused with the
 * reason, a key file owned by another user refused (the User's own too), and the
 * drop itself in a child process: ids, CAP_NET_ADMIN alone, the bounding set, no_new_privs, not
 * dumpable, and no way back to root; without a User, CAP_NET_ADMIN alone as well. The files the
 * root start reads and the User could write are refused: a configuration file the User owns, a
 * directory it (or anyone) may write on the way to the configuration or the key; a PresharedKey
 * file may be 0640 for the User's group alone, and a reload as the User reads it (0600: refused
 * with the chgrp fix; a directory the User may not enter: the directory's fix). The cases that change owners or ids need root and are skipped without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/capability.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tunnel/tunnel_internal.h"
#include "../cli/tunnel/tunnel.h"

static bool nobody(uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam("nobody"); /* NOLINT(concurrency-mt-unsafe): one thread */
	if (!pw)
		return false;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return true;
}

static void user_names_and_ids_resolve(void **state)
{
	struct tk__tunnel_conf c;
	char why[160];
	uid_t uid = 0;
	gid_t gid = 0;
	(void)state;
	if (!nobody(&uid, &gid))
		skip();
	tk__tunnel_conf_init(&c);
	assert_true(tk__user_resolve("nobody", &c, why, sizeof(why)));
	assert_true(c.has_user);
	assert_false(c.user_group_given);
	assert_int_equal(c.uid, uid);
	assert_int_equal(c.gid, gid);
	assert_string_equal(c.user, "nobody");

	tk__tunnel_conf_init(&c);
	assert_true(tk__user_resolve("nobody:0", &c, why, sizeof(why)));
	assert_true(c.user_group_given);
	assert_int_equal(c.gid, 0);

	/* a numeric uid takes the name and group of its passwd entry */
	char spec[32];
	snprintf(spec, sizeof(spec), "%u", (unsigned)uid);
	tk__tunnel_conf_init(&c);
	assert_true(tk__user_resolve(spec, &c, why, sizeof(why)));
	assert_int_equal(c.gid, gid);
	assert_string_equal(c.user, "nobody");

	/* a uid without an entry is allowed with its group, refused without */
	tk__tunnel_conf_init(&c);
	assert_true(tk__user_resolve("4000000000:4000000001", &c, why, sizeof(why)));
	assert_int_equal(c.uid, 4000000000u);
	assert_int_equal(c.gid, 4000000001u);
	assert_string_equal(c.user, "");
	tk__tunnel_conf_init(&c);
	assert_false(tk__user_resolve("4000000000", &c, why, sizeof(why)));
	assert_non_null(strstr(why, "give its group too"));
}

static void user_refusals_say_why(void **state)
{
	struct tk__tunnel_conf c;
	char why[160];
	(void)state;
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{ "nosuchuser-tk", "no such user" },
		{ "nobody:nosuchgroup-tk", "no such group" },
		{ "root", "dropping to root" },
		{ "0:0", "dropping to root" },
		{ "", "expected USER or USER:GROUP" },
		{ ":nogroup", "expected USER or USER:GROUP" },
		{ "nobody:", "expected USER or USER:GROUP" },
		{ "4294967295", "no such user" }, /* (uid_t)-1 means "unchanged": never an id */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tk__tunnel_conf_init(&c);
		why[0] = '\0';
		assert_false(tk__user_resolve(cases[i].spec, &c, why, sizeof(why)));
		assert_false(c.has_user);
		if (!strstr(why, cases[i].why))
			fail_msg("User \"%s\": expected a reason with \"%s\", got \"%s\"",
				 cases[i].spec, cases[i].why, why);
	}
}

static void user_key_in_a_file_at_its_line(void **state)
{
	struct tk__tunnel_conf c;
	tk_error err = { 0 };
	static const char text[] = "[Interface]\nName = tk0\nUser = nosuchuser-tk\n"
				   "[Peer]\nEndpoint = 10.0.0.2:4789\n";
	(void)state;
	assert_int_equal(tk__tunnel_conf_parse(text, sizeof(text) - 1, "t.conf", &c, &err),
			 TK_E_CONFIG);
	assert_non_null(strstr(err.object, "t.conf:3"));
	assert_non_null(strstr(err.message, "no such user"));
	static const char twice[] = "[Interface]\nName = tk0\nUser = nobody\nUser = nobody\n"
				    "[Peer]\nEndpoint = 10.0.0.2:4789\n";
	tk_error e2 = { 0 };
	assert_int_equal(tk__tunnel_conf_parse(twice, sizeof(twice) - 1, "t.conf", &c, &e2),
			 TK_E_CONFIG);
	assert_non_null(strstr(e2.message, "given twice"));
}

static void write_key(const char *path, uint8_t sk[TK__KEY_LEN])
{
	char b64[TK__KEY_B64_LEN + 1];
	tk__key_generate(sk);
	tk__key_to_base64(sk, b64);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", b64);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

static void key_owned_by_another_user_is_refused(void **state)
{
	char dir[] = "/tmp/tk-tpriv.XXXXXX", path[64];
	uint8_t sk[TK__KEY_LEN], got[TK__KEY_LEN];
	uid_t uid = 0;
	gid_t gid = 0;
	tk_error err = { 0 };
	(void)state;
	if (geteuid() != 0 || !nobody(&uid, &gid))
		skip();
	assert_true(tk__seal_init());
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	write_key(path, sk);

	/* a stranger's key: refused, with the chown fix, and nothing written to the output */
	assert_int_equal(chown(path, 12345, 12345), 0);
	memset(got, 0x5a, sizeof(got));
	assert_int_equal(tk__key_file_read(path, "", got, &err), TK_E_CONFIG);
	assert_non_null(strstr(err.message, "owned by uid 12345"));
	assert_non_null(strstr(err.remedy, "chown root"));
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0x5a);
	/* the User's own key: refused for that User too (it could read or replace it) */
	assert_int_equal(chown(path, uid, gid), 0);
	tk_error e2 = { 0 };
	assert_int_equal(tk__key_file_read(path, "", got, &e2), TK_E_CONFIG);
	tk_error e3 = { 0 };
	assert_int_equal(tk__key_file_read_for(path, "", uid, got, &e3), TK_E_CONFIG);
	assert_non_null(strstr(e3.message, "the User the tunnel drops to"));
	assert_non_null(strstr(e3.remedy, "chown root:root"));
	assert_non_null(strstr(e3.remedy, "chmod 600"));
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0x5a);
	/* root's: accepted, with or without a User */
	assert_int_equal(chown(path, 0, 0), 0);
	tk_error e4 = { 0 };
	assert_int_equal(tk__key_file_read(path, "", got, &e4), TK_OK);
	assert_memory_equal(got, sk, sizeof(sk));
	tk_error e5 = { 0 };
	assert_int_equal(tk__key_file_read_for(path, "", uid, got, &e5), TK_OK);
	unlink(path);
	rmdir(dir);
}

/*
 * A reload with a User keeps the running key while PrivateKeyFile names the same file, without
 * reading it (the file is gone here: a read would fail), and refuses another file; without a
 * User the file is read again.
 */
static void reload_with_user_keeps_the_key(void **state)
{
	char dir[] = "/tmp/tk-treload.XXXXXX", conf[64], key[64], key2[64], why[160];
	uint8_t sk[TK__KEY_LEN], sk2[TK__KEY_LEN], peer_sk[TK__KEY_LEN], peer[TK__KEY_LEN];
	char b64[TK__KEY_B64_LEN + 1];
	struct tk__tunnel_conf run, c;
	tk_error err = { 0 };
	(void)state;
	assert_true(tk__seal_init());
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/t.conf", dir);
	snprintf(key, sizeof(key), "%s/k", dir);
	snprintf(key2, sizeof(key2), "%s/k2", dir);
	write_key(key, sk);
	write_key(key2, sk2);
	tk__key_generate(peer_sk);
	tk__key_public(peer_sk, peer);
	tk__key_to_base64(peer, b64);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
		"[Interface]\nName = tk0\nMode = sealed\nPrivateKeyFile = k\n"
		"[Peer]\nEndpoint = 10.0.0.2:4789\nPublicKey = %s\n",
		b64);
	fclose(f);
	assert_int_equal(tk__tunnel_conf_load(conf, &run, &err), TK_OK);
	assert_memory_equal(run.sk, sk, sizeof(sk));
	run.has_user = true; /* as if User = ... (its uid: the key's owner is not ours to vary) */
	run.uid = 4000000000u;
	unlink(key);

	assert_int_equal(tk__tunnel_conf_reload(conf, &run, &c, &err), TK_OK);
	assert_true(c.has_key);
	assert_memory_equal(c.sk, sk, sizeof(sk));
	assert_memory_equal(c.pk, run.pk, sizeof(run.pk));
	tk__tunnel_conf_free(&c);

	/* another file: refused at its line, with the restart as the fix */
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
		"[Interface]\nName = tk0\nMode = sealed\nPrivateKeyFile = k2\n"
		"[Peer]\nEndpoint = 10.0.0.2:4789\nPublicKey = %s\n",
		b64);
	fclose(f);
	tk_error e2 = { 0 };
	assert_int_equal(tk__tunnel_conf_reload(conf, &run, &c, &e2), TK_E_CONFIG);
	snprintf(why, sizeof(why), "%s:4", conf);
	assert_string_equal(e2.object, why);
	assert_non_null(strstr(e2.message, "PrivateKeyFile changed"));
	assert_non_null(strstr(e2.message, key2));
	assert_non_null(strstr(e2.remedy, "restart"));

	/* without a User the new file is read */
	run.has_user = false;
	tk_error e3 = { 0 };
	assert_int_equal(tk__tunnel_conf_reload(conf, &run, &c, &e3), TK_OK);
	assert_memory_equal(c.sk, sk2, sizeof(sk2));
	tk__tunnel_conf_free(&c);
	tk__tunnel_conf_free(&run);
	unlink(key2);
	unlink(conf);
	rmdir(dir);
}

/* A sealed configuration with User = nobody (and a PresharedKey when psk) at dir/NAME. */
static void write_conf(const char *path, const char *key, bool psk)
{
	uint8_t sk[TK__KEY_LEN], pk[TK__KEY_LEN];
	char b64[TK__KEY_B64_LEN + 1], psk64[TK__KEY_B64_LEN + 1];
	tk__key_generate(sk);
	tk__key_public(sk, pk);
	tk__key_to_base64(pk, b64);
	tk__key_generate(sk);
	tk__key_to_base64(sk, psk64);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"[Interface]\nName = tk0\nMode = sealed\nPrivateKeyFile = %s\nUser = nobody\n"
		"[Peer]\nEndpoint = 10.0.0.2:4789\nPublicKey = %s\n%s%s\n",
		key, b64, psk ? "PresharedKey = " : "", psk ? psk64 : "");
	fclose(f);
	assert_int_equal(chmod(path, psk ? 0600 : 0644), 0);
}

/* Loads path; expects st, and (when refused) the message and the remedy to hold the texts. */
static void load_expect(const char *path, const struct tk__tunnel_conf *keep, tk_status st,
			const char *msg, const char *remedy)
{
	struct tk__tunnel_conf c;
	tk_error err = { 0 };
	tk_status got = tk__tunnel_conf_reload(path, keep, &c, &err);
	if (got != st)
		fail_msg("%s: expected %s, got %s: %s (fix: %s)", path, tk_status_name(st),
			 tk_status_name(got), err.message, err.remedy);
	if (got == TK_OK) {
		tk__tunnel_conf_free(&c);
		return;
	}
	if (msg && !strstr(err.message, msg))
		fail_msg("%s: expected \"%s\" in \"%s\"", path, msg, err.message);
	if (remedy && !strstr(err.remedy, remedy))
		fail_msg("%s: expected the fix \"%s\" in \"%s\"", path, remedy, err.remedy);
}

/* The start of a test that changes owners: root and a user nobody, or skipped; dir made. */
static void as_root_in(char *dir, uid_t *uid, gid_t *gid)
{
	if (geteuid() != 0 || !nobody(uid, gid))
		skip();
	assert_true(tk__seal_init());
	assert_non_null(mkdtemp(dir));
}

/*
 * Nothing the User can write may be read by the root start: the configuration file owned by the
 * User; its directory owned by the User or writable by others (sticky: accepted); the key's
 * directory the same; a symbolic link from a directory the User owns.
 */
static void files_the_user_can_write_are_refused(void **state)
{
	char dir[] = "/tmp/tk-tfiles.XXXXXX", conf[48], key[48], keys[48], want[256], sub[48],
	     link[256];
	uint8_t sk[TK__KEY_LEN];
	uid_t uid = 0;
	gid_t gid = 0;
	(void)state;
	as_root_in(dir, &uid, &gid);
	snprintf(conf, sizeof(conf), "%s/t.conf", dir);
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(key, sizeof(key), "%s/keys/k", dir);
	assert_int_equal(mkdir(keys, 0700), 0);
	write_key(key, sk);
	write_conf(conf, "keys/k", false);
	load_expect(conf, NULL, TK_OK, NULL, NULL);

	/* the file the User owns (accepted before: "root or the tunnel's user") */
	assert_int_equal(chown(conf, uid, 0), 0);
	snprintf(want, sizeof(want), "owned by uid %u, the User the tunnel drops to",
		 (unsigned)uid);
	snprintf(link, sizeof(link), "chown root:root %s; chmod go-w %s", conf, conf);
	load_expect(conf, NULL, TK_E_CONFIG, want, link);
	assert_int_equal(chown(conf, 0, 0), 0);

	/* its directory: the User's, then writable by others, then sticky (accepted) */
	assert_int_equal(chown(dir, uid, gid), 0);
	snprintf(want, sizeof(want), "directory %s is owned by uid %u, the User", dir,
		 (unsigned)uid);
	snprintf(link, sizeof(link), "chown root %s", dir);
	load_expect(conf, NULL, TK_E_CONFIG, want, link);
	assert_int_equal(chown(dir, 0, 0), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(want, sizeof(want), "directory %s is writable by group or others (mode 0777)",
		 dir);
	snprintf(link, sizeof(link), "chmod go-w %s", dir);
	load_expect(conf, NULL, TK_E_CONFIG, want, link);
	assert_int_equal(chmod(dir, 01777), 0);
	load_expect(conf, NULL, TK_OK, NULL, NULL);
	assert_int_equal(chmod(dir, 0700), 0);

	/* the key's directory: the User's, or writable by its group */
	assert_int_equal(chown(keys, uid, gid), 0);
	snprintf(want, sizeof(want), "private key file %s: directory %s is owned by uid %u", key,
		 keys, (unsigned)uid);
	load_expect(conf, NULL, TK_E_CONFIG, want, "chown root");
	assert_int_equal(chown(keys, 0, gid), 0);
	assert_int_equal(chmod(keys, 0770), 0);
	load_expect(conf, NULL, TK_E_CONFIG, "writable by group or others (mode 0770)",
		    "chmod go-w");
	assert_int_equal(chmod(keys, 0700), 0);
	load_expect(conf, NULL, TK_OK, NULL, NULL);

	/* a link to root's file, from a directory the User owns: it could point it elsewhere */
	snprintf(sub, sizeof(sub), "%s/nobodys", dir);
	snprintf(link, sizeof(link), "%s/nobodys/t.conf", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(chown(sub, uid, gid), 0);
	assert_int_equal(symlink(conf, link), 0);
	snprintf(want, sizeof(want), "directory %s is owned by uid %u", sub, (unsigned)uid);
	load_expect(link, NULL, TK_E_CONFIG, want, NULL);

	/* a reload checks the same, for the running tunnel's User */
	struct tk__tunnel_conf run;
	tk_error err = { 0 };
	assert_int_equal(tk__tunnel_conf_load(conf, &run, &err), TK_OK);
	assert_int_equal(chown(conf, uid, 0), 0);
	load_expect(conf, &run, TK_E_CONFIG, "the User the tunnel drops to", NULL);
	tk__tunnel_conf_free(&run);

	unlink(link);
	rmdir(sub);
	unlink(conf);
	unlink(key);
	rmdir(keys);
	rmdir(dir);
}

/* In a child as the User (uid, gid): the reload of path with run kept; 0 when it went as expected. */
static int child_reload(const char *path, struct tk__tunnel_conf *run, uid_t uid, gid_t gid,
			tk_status want, const char *remedy)
{
	struct tk__tunnel_conf c;
	tk_error err = { 0 };
	if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0)
		return 10;
	tk_status st = tk__tunnel_conf_reload(path, run, &c, &err);
	if (st != want) {
		fprintf(stderr, "reload as uid %u: %s: %s (fix: %s)\n", (unsigned)uid,
			tk_status_name(st), err.message, err.remedy);
		return 11;
	}
	if (st == TK_OK &&
	    (!c.has_key || memcmp(c.sk, run->sk, sizeof(c.sk)) != 0 || !c.peers[0].has_psk))
		return 12;
	if (remedy && !strstr(err.remedy, remedy)) {
		fprintf(stderr, "expected the fix \"%s\", got \"%s\"\n", remedy, err.remedy);
		return 13;
	}
	return 0;
}

/* Waits for a child that runs checks; it must exit 0 (else: the number of the failed check). */
static void expect_child_ok(pid_t pid, const char *what)
{
	int ws = 0;
	assert_true(pid >= 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	if (WEXITSTATUS(ws) != 0)
		fail_msg("%s failed check %d", what, WEXITSTATUS(ws));
}

static void reload_as_user(const char *path, struct tk__tunnel_conf *run, uid_t uid, gid_t gid,
			   tk_status want, const char *remedy)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_reload(path, run, uid, gid, want, remedy));
	expect_child_ok(pid, "the reload as the User (see child_reload)");
}

/*
 * A PresharedKey file: 0600 root at start; 0640 when its group is the User's (the dropped
 * process re-reads it on a reload), refused with any other group or without a User. A reload
 * as the User reads a 0640 file and keeps the running key; a 0600 one is refused with the fix.
 */
static void psk_file_group_readable_by_the_user_alone(void **state)
{
	char dir[] = "/tmp/tk-tpsk.XXXXXX", conf[48], key[48], want[256];
	uint8_t sk[TK__KEY_LEN];
	uid_t uid = 0;
	gid_t gid = 0;
	(void)state;
	as_root_in(dir, &uid, &gid);
	assert_int_equal(chmod(dir, 0755), 0); /* the User must reach the file */
	snprintf(conf, sizeof(conf), "%s/t.conf", dir);
	snprintf(key, sizeof(key), "%s/k", dir);
	write_key(key, sk);
	write_conf(conf, "k", true);
	struct tk__tunnel_conf run;
	tk_error err = { 0 };
	assert_int_equal(tk__tunnel_conf_load(conf, &run, &err), TK_OK);
	assert_true(run.has_user);
	assert_int_equal(run.gid, gid);

	/* 0640 with root's group: refused, the fix names the User's group */
	assert_int_equal(chmod(conf, 0640), 0);
	snprintf(want, sizeof(want), "chgrp %u %s; chmod 640 %s", (unsigned)gid, conf, conf);
	load_expect(conf, NULL, TK_E_CONFIG, "holds a PresharedKey and is readable", want);
	/* the User's group: accepted at start; 0644 is not */
	assert_int_equal(chown(conf, 0, gid), 0);
	load_expect(conf, NULL, TK_OK, NULL, NULL);
	assert_int_equal(chmod(conf, 0644), 0);
	load_expect(conf, NULL, TK_E_CONFIG, "holds a PresharedKey and is readable", NULL);
	assert_int_equal(chmod(conf, 0660), 0);
	load_expect(conf, NULL, TK_E_CONFIG, "may be written by group or others", NULL);
	assert_int_equal(chmod(conf, 0640), 0);

	/* the reload as the User: 0640 read (the key kept, not re-read); 0600 refused, with the fix */
	reload_as_user(conf, &run, uid, gid, TK_OK, NULL);
	assert_int_equal(chmod(conf, 0600), 0);
	snprintf(want, sizeof(want), "chgrp %u %s; chmod 640 %s", (unsigned)gid, conf, conf);
	reload_as_user(conf, &run, uid, gid, TK_E_CONFIG, want);
	/* a directory the User may not enter: the fix is the directory's */
	assert_int_equal(chmod(conf, 0640), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	snprintf(want, sizeof(want), "may not enter %s: chgrp %u %s; chmod 750 %s", dir,
		 (unsigned)gid, dir, dir);
	reload_as_user(conf, &run, uid, gid, TK_E_CONFIG, want);
	assert_int_equal(chmod(dir, 0755), 0);

	/* without a User, group-readable is refused whatever the group */
	FILE *f = fopen(conf, "r+");
	assert_non_null(f);
	char text[1024];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	char *u = strstr(text, "User = nobody\n");
	assert_non_null(u);
	memmove(u, u + strlen("User = nobody\n"), strlen(u + strlen("User = nobody\n")) + 1);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(conf, 0640), 0);
	load_expect(conf, NULL, TK_E_CONFIG, "holds a PresharedKey and is readable", "chmod 600");

	tk__tunnel_conf_free(&run);
	unlink(conf);
	unlink(key);
	rmdir(dir);
}

/* What the daemon gets from tk_tunnel_config_user. */
static void user_of(const struct tk__tunnel_conf *c, tk_tunnel_user *u)
{
	memset(u, 0, sizeof(*u));
	u->set = c->has_user;
	u->group_given = c->user_group_given;
	u->uid = c->uid;
	u->gid = c->gid;
	snprintf(u->name, sizeof(u->name), "%s", c->user);
}

/* In a child: the drop, then what the kernel says about us. Exit 0 or the failed check's no. */
static int child_drop(uid_t uid, gid_t gid)
{
	struct tk__tunnel_conf c;
	tk_tunnel_user u;
	tk_ctx *ctx = NULL;
	tk_error err = { 0 };
	char why[160];

	tk__tunnel_conf_init(&c);
	if (!tk__user_resolve("nobody", &c, why, sizeof(why)))
		return 10;
	user_of(&c, &u);
	if (tk_ctx_new(&ctx, &err) != TK_OK)
		return 11;
	if (tunnel_confine(ctx, &u, false, &err) != TK_OK) {
		fprintf(stderr, "confine: %s: %s\n", tk_status_name(err.status), err.message);
		return 12;
	}
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid)
		return 13;
	if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid)
		return 14;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return 15;
	if (d[0].effective != 1u << CAP_NET_ADMIN || d[0].permitted != 1u << CAP_NET_ADMIN ||
	    d[0].inheritable || d[1].effective || d[1].permitted)
		return 16;
	if (prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) != 1 ||
	    prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0 ||
	    prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0) != 0)
		return 17;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 18;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 19;
	tk_ctx_free(ctx);
	return 0;
}

static void drop_keeps_net_admin_only(void **state)
{
	uid_t uid = 0;
	gid_t gid = 0;
	(void)state;
	if (geteuid() != 0 || !nobody(&uid, &gid))
		skip();
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_drop(uid, gid));
	expect_child_ok(pid, "the dropped child (see child_drop)");
}

/*
 * Without a User: no ids change, but no_new_privs always, not dumpable once a key is held, and of
 * root's capabilities CAP_NET_ADMIN alone stays (effective, permitted, bounding).
 */
static void no_user_sets_no_new_privs(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		tk_tunnel_user u;
		tk_ctx *ctx = NULL;
		tk_error err = { 0 };
		uid_t before = geteuid();
		memset(&u, 0, sizeof(u));
		if (tk_ctx_new(&ctx, &err) != TK_OK ||
		    tunnel_confine(ctx, &u, false, &err) != TK_OK)
			_exit(1);
		if (geteuid() != before || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(2);
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];
		memset(d, 0, sizeof(d));
		uint32_t want = before == 0 ? 1u << CAP_NET_ADMIN : 0;
		if (syscall(SYS_capget, &h, d) != 0 || d[0].effective != want ||
		    d[0].permitted != want || d[0].inheritable || d[1].effective || d[1].permitted)
			_exit(5);
		if (before == 0 && (prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) != 1 ||
				    prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0) != 0 ||
				    prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 0))
			_exit(6);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
			_exit(3); /* plain, no key: a crash may still be debugged */
		if (tunnel_confine(ctx, &u, true, &err) != TK_OK ||
		    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(4);
		tk_ctx_free(ctx);
		_exit(0);
	}
	expect_child_ok(pid, "the child without User");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(user_names_and_ids_resolve),
		cmocka_unit_test(user_refusals_say_why),
		cmocka_unit_test(user_key_in_a_file_at_its_line),
		cmocka_unit_test(key_owned_by_another_user_is_refused),
		cmocka_unit_test(reload_with_user_keeps_the_key),
		cmocka_unit_test(files_the_user_can_write_are_refused),
		cmocka_unit_test(psk_file_group_readable_by_the_user_alone),
		cmocka_unit_test(drop_keeps_net_admin_only),
		cmocka_unit_test(no_user_sets_no_new_privs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
