/* SPDX-License-Identifier: MIT */
/*
 * The tunnel's configuration: a WireGuard-like file read with core's strict INI reader
 * (src/core/config.c), or the same structure filled from command-line flags. Everything that is
 * wrong is reported as TK_E_CONFIG naming FILE:LINE (or the flag) and what was expected; the
 * private key file is refused when others may read it.
 */
#include "tunnel_internal.h"

#include "core/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include "windows/os_windows.h"
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#endif

void tk__tunnel_conf_init(struct tk__tunnel_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = TK__TUNNEL_PLAIN;
	c->vni = 1;
	c->port = TK__VXLAN_PORT;
	c->mac_table_size = TK__MAC_TABLE_DEFAULT;
	c->mac_age_s = TK__MAC_AGE_DEFAULT;
	c->listen.ss_family = AF_UNSPEC;
}

void tk__tunnel_conf_free(struct tk__tunnel_conf *c)
{
	free(c->peers);
	c->peers = NULL;
	c->npeers = 0;
	sodium_memzero(c->sk, sizeof(c->sk));
	c->has_key = false; /* the key is gone: nothing may derive from the zeros */
}

struct tk__peer_conf *tk__tunnel_conf_add_peer(struct tk__tunnel_conf *c, unsigned line)
{
	if (c->npeers >= TK__PEERS_MAX)
		return NULL;
	struct tk__peer_conf *p = realloc(c->peers, (c->npeers + 1) * sizeof(*p));
	if (!p)
		return NULL;
	c->peers = p;
	p = &c->peers[c->npeers++];
	memset(p, 0, sizeof(*p));
	p->line = line;
	return p;
}

uint32_t tk__tunnel_default_mtu(enum tk__tunnel_mode mode, bool ipv6)
{
	uint32_t over = (ipv6 ? 40u : 20u) + 8u + TK__VXLAN_HLEN + TK__ETH_HLEN;
	if (mode == TK__TUNNEL_SEALED)
		over += TK__SEALED_OVERHEAD;
	return 1500u - over;
}

/* ---- endpoints ---- */

bool tk__endpoint_parse(const char *text, uint16_t default_port, struct sockaddr_storage *ss,
			socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_text = NULL;
	size_t n = strlen(text);

	if (n == 0 || n >= sizeof(host) + 6)
		return false;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (size_t)(close - text - 1) >= sizeof(host))
			return false;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		if (close[1] == ':')
			port_text = close + 2;
		else if (close[1] != '\0')
			return false;
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address, no port */
		size_t hl = colon ? (size_t)(colon - text) : n;
		if (hl >= sizeof(host))
			return false;
		memcpy(host, text, hl);
		host[hl] = '\0';
		if (colon)
			port_text = colon + 1;
	}
	uint32_t port = default_port;
	if (port_text && !tk__config_parse_u32(port_text, 1, 65535, &port))
		return false;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (text[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return true;
	}
	return false;
}

socklen_t tk__endpoint_any6(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	s6->sin6_addr = in6addr_any;
	return sizeof(*s6);
}

char *tk__endpoint_format(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof(host));
			snprintf(buf, size, "%s:%u", host, (unsigned)ntohs(s6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			snprintf(buf, size, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
		}
	} else {
		snprintf(buf, size, "*:?");
	}
	return buf;
}

/* ---- the private key file ---- */

tk_status tk__key_file_read(const char *path, const char *where, uint8_t sk[TK__KEY_LEN],
			    tk_error *err)
{
	return tk__key_file_read_for(path, where, (uid_t)-1, sk, err);
}

#ifndef _WIN32 /* Windows: src/tunnel/windows/ */
/*
 * The directories a file the root start reads lies in (docs/SECURITY.md, "Files the tunnel
 * reads as root"). Whoever may write one of them can swap the file between two starts: rename
 * another root-owned file over it (an old configuration, another tunnel's key), or replace a
 * directory further up. So every directory from the file's up to / must be owned by root or by
 * the user running the tunnel, never by its User, and be writable by no group and no others
 * unless it is sticky (/tmp: then they may not rename or remove a file they do not own, and the
 * file itself must be root's). Symbolic links are resolved: the directories checked are those
 * holding the name given (realpath of its directory) and those holding the file it leads to.
 */
static tk_status dir_chain_check(const char *start, const char *file, const char *what,
				 const char *op, const char *obj, uid_t user, tk_error *err)
{
	char dir[PATH_MAX];
	struct stat sb;

	if (!realpath(start, dir))
		return TK_OK; /* the file's own open reports a path that does not resolve */
	for (;;) {
		if (stat(dir, &sb) != 0)
			return TK_OK;
		unsigned mode = (unsigned)(sb.st_mode & 07777);
		bool theirs = sb.st_uid != 0 && (sb.st_uid != geteuid() || sb.st_uid == user);
		bool open_w = (sb.st_mode & (S_IWGRP | S_IWOTH)) && !(sb.st_mode & S_ISVTX);
		if (theirs || open_w) {
			char why[96];
			if (theirs && sb.st_uid == user)
				snprintf(why, sizeof(why),
					 "owned by uid %u, the User the tunnel drops to",
					 (unsigned)sb.st_uid);
			else if (theirs)
				snprintf(
					why, sizeof(why),
					"owned by uid %u, neither root nor the user running the tunnel",
					(unsigned)sb.st_uid);
			else
				snprintf(why, sizeof(why),
					 "writable by group or others (mode %04o)", mode);
			tk__error_set_quiet(
				err, TK_E_CONFIG, op, obj, TK_OS_NONE, 0,
				"%s %s: directory %s is %s: refused (whoever can write it "
				"can replace the file between starts)",
				what, file, dir, why);
			if (theirs)
				tk__error_remedy(
					err,
					"chown root %s (or move the file to a directory only "
					"root may write, such as /etc/tapkit)",
					dir);
			else
				tk__error_remedy(
					err,
					"chmod go-w %s (or move the file to a directory only "
					"root may write, such as /etc/tapkit)",
					dir);
			return TK_E_CONFIG;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			if (dir[1] == '\0')
				return TK_OK; /* "/" checked */
			dir[1] = '\0';
		} else {
			*slash = '\0';
		}
	}
}

/* The directory holding path's name: "." for a bare name, "/" for "/name". */
static void dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, size, ".");
	else
		snprintf(dir, size, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* dir_chain_check for the directory holding path's name, and the one holding its target. */
static tk_status dirs_check(const char *path, const char *what, const char *op, const char *obj,
			    uid_t user, tk_error *err)
{
	char dir[PATH_MAX], real[PATH_MAX];

	dir_of(path, dir, sizeof(dir));
	tk_status st = dir_chain_check(dir, path, what, op, obj, user, err);
	if (st != TK_OK || !realpath(path, real))
		return st;
	char *end = strrchr(real, '/');
	if (end)
		*(end == real ? end + 1 : end) = '\0';
	return dir_chain_check(real, path, what, op, obj, user, err);
}

tk_status tk__key_file_read_for(const char *path, const char *where, uid_t user,
				uint8_t sk[TK__KEY_LEN], tk_error *err)
{
	const char *obj = where && *where ? where : path;
	char text[128];
	struct stat sb;
	tk_status st;

	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		char ebuf[128];
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_ERRNO, e,
					 "cannot open private key file %s: %s", path,
					 tk__errno_text(e, ebuf, sizeof(ebuf)));
		if (e == ENOENT)
			tk__error_remedy(err, "make one: umask 077; tapkit genkey > %s", path);
		else if (e == EACCES && geteuid() != 0)
			tk__error_remedy(err, "uid %u may not read it: run the tunnel as root",
					 (unsigned)geteuid());
		return st;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_NONE, 0,
					 "private key file %s is not a regular file", path);
		goto out;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		st = tk__error_set_quiet(
			err, TK_E_CONFIG, "read key", obj, TK_OS_NONE, 0,
			"private key file %s is accessible by group or others (mode %04o): refused",
			path, (unsigned)(sb.st_mode & 07777));
		tk__error_remedy(err, "chmod 600 %s", path);
		goto out;
	}
	/*
	 * The User the tunnel drops to must not own its key: a bug exploited in the unprivileged
	 * process would read (or replace) the long-term key. Mode 0600 (above) leaves the owner
	 * the only one besides root who may open it; a POSIX ACL entry for the User shows in the
	 * group bits, refused above.
	 */
	if (user != (uid_t)-1 && sb.st_uid == user && user != geteuid()) {
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_NONE, 0,
					 "private key file %s is owned by uid %u, the User the "
					 "tunnel drops to: refused (whoever compromises the "
					 "unprivileged process could read or replace the key)",
					 path, (unsigned)user);
		tk__error_remedy(err, "chown root:root %s; chmod 600 %s", path, path);
		goto out;
	}
	/* a key someone else wrote is a key someone else knows: only root or us */
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_NONE, 0,
					 "private key file %s is owned by uid %u, neither root nor "
					 "the user running the tunnel: refused (it could have been "
					 "planted)",
					 path, (unsigned)sb.st_uid);
		tk__error_remedy(err,
				 "if it is yours: chown root %s; otherwise make a new one: "
				 "umask 077; tapkit genkey > %s",
				 path, path);
		goto out;
	}
	if ((st = dirs_check(path, "private key file", "read key", obj, user, err)) != TK_OK)
		goto out;
	ssize_t n = read(fd, text, sizeof(text));
	if (n < 0 || !tk__key_from_base64(text, (size_t)n, sk)) {
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read key", obj, TK_OS_NONE, 0,
					 "private key file %s does not hold one base64 key", path);
		tk__error_remedy(err, "make one: umask 077; tapkit genkey > %s", path);
		goto out;
	}
	st = TK_OK;
out:
	sodium_memzero(text, sizeof(text));
	close(fd);
	return st;
}
#endif

/* ---- the file ---- */

enum {
	K_NAME,
	K_MODE,
	K_VNI,
	K_LISTEN_ADDR,
	K_LISTEN_PORT,
	K_KEYFILE,
	K_MTU,
	K_MACSIZE,
	K_MACAGE,
	K_FORWARD,
	K_CONTROL,
	K_USER,
	K_MAC,
	K__IFACE_COUNT
};

struct parse_state {
	struct tk__tunnel_conf *c;
	const char *origin;
	bool in_iface, in_peer;
	unsigned iface_line;
	unsigned seen[K__IFACE_COUNT]; /* line of each once-only key */
	unsigned peer_ep_line, peer_key_line;
	unsigned listen_port_line;
	bool listen_port_set;
	unsigned key_line;
};

static const char iface_keys[] =
	"Name, Mode, VNI, ListenAddress, ListenPort, PrivateKeyFile, MTU, Address, MACAddress, MACTableSize, MACAge, Forward, ControlSocket, User";

static tk_status once(struct parse_state *s, int k, const struct tk__ini_item *it, tk_error *err)
{
	if (s->seen[k])
		return tk__config_error(err, s->origin, it->line,
					"%s given twice (first at line %u)", it->key, s->seen[k]);
	s->seen[k] = it->line;
	return TK_OK;
}

/* The key file path as written, relative to the configuration file's directory. */
static void resolve_path(const char *origin, const char *value, char *out, size_t size)
{
	const char *slash = strrchr(origin, '/');
	if (value[0] == '/' || !slash) {
		tk__strlcpy(out, value, size);
		return;
	}
	snprintf(out, size, "%.*s/%s", (int)(slash - origin), origin, value);
}

/* Writes the reason into why and returns false: `return why_fail(...)` in a setter. */
static bool why_fail(char *why, size_t size, const char *fmt, ...) TK_PRINTF(3, 4);

static bool why_fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	(void)vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return false;
}

/* The index of an [Interface] key that may be given once, or -1 (Address: repeatable). */
static int iface_key_index(const char *k)
{
	static const char *const names[K__IFACE_COUNT] = {
		[K_NAME] = "Name",
		[K_MODE] = "Mode",
		[K_VNI] = "VNI",
		[K_LISTEN_ADDR] = "ListenAddress",
		[K_LISTEN_PORT] = "ListenPort",
		[K_KEYFILE] = "PrivateKeyFile",
		[K_MTU] = "MTU",
		[K_MACSIZE] = "MACTableSize",
		[K_MACAGE] = "MACAge",
		[K_FORWARD] = "Forward",
		[K_CONTROL] = "ControlSocket",
		[K_USER] = "User",
		[K_MAC] = "MACAddress",
	};
	if (tk__config_key_is(k, "Adapter"))
		return K_NAME;
	for (int i = 0; i < K__IFACE_COUNT; i++)
		if (tk__config_key_is(k, names[i]))
			return i;
	return -1;
}

/* [Interface] keys of the switch and the host: MAC table, forwarding, control, MAC, user. */
static bool iface_set_switch(struct tk__tunnel_conf *c, const char *k, const char *v, char *why,
			     size_t size)
{
	if (tk__config_key_is(k, "MACTableSize")) {
		if (!tk__config_parse_u32(v, 1, 1u << 20, &c->mac_table_size))
			return why_fail(why, size,
					"MACTableSize \"%s\": expected a number from 1 to 1048576",
					v);
	} else if (tk__config_key_is(k, "MACAge")) {
		if (!tk__config_parse_u32(v, 1, 86400, &c->mac_age_s))
			return why_fail(why, size,
					"MACAge \"%s\": expected seconds from 1 to 86400", v);
	} else if (tk__config_key_is(k, "Forward")) {
		if (!tk__config_parse_bool(v, &c->forward))
			return why_fail(why, size, "Forward \"%s\": expected true or false", v);
	} else if (tk__config_key_is(k, "ControlSocket")) {
		/* a path, or @NAME: an abstract socket, which belongs to the network namespace */
		if ((v[0] != '/' && !(v[0] == '@' && v[1])) || strlen(v) >= 100)
			return why_fail(why, size,
					"ControlSocket \"%s\": expected an absolute path or @NAME "
					"(abstract), under 100 bytes",
					v);
		tk__strlcpy(c->control, v, sizeof(c->control));
	} else if (tk__config_key_is(k, "MACAddress")) {
		if (tk_mac_parse(v, false, c->mac) != TK_OK)
			return why_fail(why, size,
					"MACAddress \"%s\": expected a unicast MAC address like "
					"02:00:5e:10:00:01",
					v);
		c->has_mac = true;
	} else if (tk__config_key_is(k, "Identifiers")) {
		/* hidden: WireGuard's own strings, so tests can talk to wireguard-go */
		if (tk__config_key_is(v, "tapkit"))
			c->wg_identifiers = false;
		else if (tk__config_key_is(v, "wireguard"))
			c->wg_identifiers = true;
		else
			return why_fail(why, size,
					"Identifiers \"%s\": expected tapkit (or wireguard, for "
					"interoperability tests only)",
					v);
	} else if (tk__config_key_is(k, "User")) {
		char r[TK_ERROR_TEXT_MAX / 2];
		if (!tk__user_resolve(v, c, r, sizeof(r)))
			return why_fail(why, size, "User \"%s\": %s", v, r);
	} else {
		return why_fail(why, size,
				"unknown key \"%s\" in [Interface] (expected one of: %s)", k,
				iface_keys);
	}
	return true;
}

/*
 * One [Interface] key from its text: the single place a value is checked, for the file reader,
 * tk_tunnel_config_set and the CLI's flags alike. false with the reason in why.
 */
bool tk__tunnel_conf_set(struct tk__tunnel_conf *c, const char *k, const char *v, char *why,
			 size_t size)
{
	uint32_t u;

	if (tk__config_key_is(k, "Name") || tk__config_key_is(k, "Adapter")) {
		tk_error e2 = { 0 };
		if (tk_adapter_name_check(v, &e2) != TK_OK || strlen(v) >= sizeof(c->dev))
			return why_fail(why, size, "invalid adapter name \"%s\": %s", v,
					e2.message);
		tk__strlcpy(c->dev, v, sizeof(c->dev));
	} else if (tk__config_key_is(k, "Mode")) {
		if (tk__config_key_is(v, "plain"))
			c->mode = TK__TUNNEL_PLAIN;
#if defined(_WIN32) && !defined(TK_WIN_SEALED)
		else if (tk__config_key_is(v, "sealed"))
			return why_fail(
				why, size,
				"Mode = sealed is not in this Windows build (it was built "
				"without libsodium/OpenSSL): build it with them "
				"(scripts/mingw-deps.sh, make windows) or use Mode = plain");
#else
		else if (tk__config_key_is(v, "sealed"))
			c->mode = TK__TUNNEL_SEALED;
#endif
		else
			return why_fail(why, size, "Mode \"%s\": expected plain or sealed", v);
	} else if (tk__config_key_is(k, "VNI")) {
		if (!tk__config_parse_u32(v, 0, TK__VNI_MAX, &c->vni))
			return why_fail(why, size,
					"VNI \"%s\": expected a number from 0 to 16777215", v);
	} else if (tk__config_key_is(k, "ListenAddress")) {
		if (!tk__endpoint_parse(v, 0, &c->listen, &c->listen_len))
			return why_fail(why, size,
					"ListenAddress \"%s\": expected ADDRESS, ADDRESS:PORT or "
					"[IPV6]:PORT",
					v);
	} else if (tk__config_key_is(k, "ListenPort")) {
		if (!tk__config_parse_u32(v, 1, 65535, &u))
			return why_fail(why, size,
					"ListenPort \"%s\": expected a port from 1 to 65535", v);
		c->port = (uint16_t)u;
	} else if (tk__config_key_is(k, "PrivateKeyFile")) {
		resolve_path(c->origin, v, c->key_file, sizeof(c->key_file));
	} else if (tk__config_key_is(k, "MTU")) {
		tk_error e2 = { 0 };
		if (!tk__config_parse_u32(v, 0, UINT32_MAX, &u) ||
		    tk_mtu_check(u, TK_MTU_TUNNEL, &e2) != TK_OK)
			return why_fail(why, size, "MTU \"%s\": expected a number from %d to %d", v,
					TK_MTU_MIN, TK_MTU_TUNNEL_MAX);
		c->mtu = u;
	} else if (tk__config_key_is(k, "Address")) {
		if (c->naddrs >= TK_MAX_ADDRS)
			return why_fail(why, size, "more than %d addresses", TK_MAX_ADDRS);
		if (tk_ip_addr_parse(v, &c->addrs[c->naddrs]) != TK_OK)
			return why_fail(why, size,
					"Address \"%s\": expected an IPv4 or IPv6 address with a "
					"prefix, like 10.0.0.1/24",
					v);
		c->naddrs++;
	} else {
		return iface_set_switch(c, k, v, why, size);
	}
	return true;
}

static tk_status iface_item(struct parse_state *s, const struct tk__ini_item *it, tk_error *err)
{
	char why[TK_ERROR_TEXT_MAX];
	tk_status st;
	int k = iface_key_index(it->key);

	if (k >= 0 && (st = once(s, k, it, err)) != TK_OK)
		return st;
	if (!tk__tunnel_conf_set(s->c, it->key, it->value, why, sizeof(why)))
		return tk__config_error(err, s->origin, it->line, "%s", why);
	if (k == K_LISTEN_PORT) {
		s->listen_port_set = true;
		s->listen_port_line = it->line;
	} else if (k == K_KEYFILE) {
		s->key_line = it->line;
	}
	return TK_OK;
}

/* AllowedMACs: one or more MACs separated by commas or spaces, added to the peer's. */
static bool peer_macs(struct tk__peer_conf *p, const char *value, char *why, size_t size)
{
	char buf[TK__INI_LINE_MAX + 1];
	tk__strlcpy(buf, value, sizeof(buf));
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (p->nmacs >= TK__ALLOWED_MACS_MAX)
			return why_fail(why, size, "more than %d AllowedMACs for one peer",
					TK__ALLOWED_MACS_MAX);
		if (tk_mac_parse(tok, false, p->macs[p->nmacs]) != TK_OK)
			return why_fail(why, size,
					"AllowedMACs: \"%s\" is not a unicast MAC address like "
					"02:00:5e:10:00:01",
					tok);
		p->nmacs++;
	}
	return true;
}

/* One [Peer] key from its text (Endpoint, PublicKey, AllowedMACs); false with the reason. */
bool tk__tunnel_peer_set(struct tk__peer_conf *p, const char *k, const char *v, char *why,
			 size_t size)
{
	if (tk__config_key_is(k, "Endpoint")) {
		if (!tk__endpoint_parse(v, TK__VXLAN_PORT, &p->ep, &p->ep_len))
			return why_fail(why, size,
					"Endpoint \"%s\": expected ADDRESS:PORT or [IPV6]:PORT "
					"(numeric, no host names)",
					v);
		tk__endpoint_format((const struct sockaddr *)&p->ep, p->ep_text,
				    sizeof(p->ep_text));
	} else if (tk__config_key_is(k, "PublicKey")) {
		if (!tk__key_from_base64(v, strlen(v), p->pk))
			return why_fail(why, size,
					"PublicKey \"%s\": expected a base64 key of 44 characters "
					"(tapkit pubkey prints one)",
					v);
		p->has_key = true;
	} else if (tk__config_key_is(k, "AllowedMACs")) {
		return peer_macs(p, v, why, size);
	} else if (tk__config_key_is(k, "PresharedKey")) {
		if (!tk__key_from_base64(v, strlen(v), p->psk))
			return why_fail(why, size,
					"PresharedKey: expected a base64 key of 44 characters "
					"(tapkit genkey prints one; the same on both ends)");
		p->has_psk = true;
	} else if (tk__config_key_is(k, "PersistentKeepalive")) {
		if (!tk__config_parse_u32(v, 0, 65535, &p->keepalive_s))
			return why_fail(why, size,
					"PersistentKeepalive \"%s\": expected seconds from 0 (off) "
					"to 65535",
					v);
	} else {
		return why_fail(
			why, size,
			"unknown key \"%s\" in [Peer] (expected one of: Endpoint, PublicKey, "
			"AllowedMACs, PresharedKey, PersistentKeepalive)",
			k);
	}
	return true;
}

static tk_status peer_item(struct parse_state *s, const struct tk__ini_item *it, tk_error *err)
{
	struct tk__peer_conf *p = &s->c->peers[s->c->npeers - 1];
	const char *k = it->key;
	char why[TK_ERROR_TEXT_MAX];

	if (tk__config_key_is(k, "Endpoint")) {
		if (s->peer_ep_line)
			return tk__config_error(err, s->origin, it->line,
						"Endpoint given twice (first at line %u)",
						s->peer_ep_line);
		s->peer_ep_line = it->line;
	} else if (tk__config_key_is(k, "PublicKey")) {
		if (s->peer_key_line)
			return tk__config_error(err, s->origin, it->line,
						"PublicKey given twice (first at line %u)",
						s->peer_key_line);
		s->peer_key_line = it->line;
	}
	if (!tk__tunnel_peer_set(p, k, it->value, why, sizeof(why)))
		return tk__config_error(err, s->origin, it->line, "%s", why);
	return TK_OK;
}

/* Closes the [Peer] section being read: its Endpoint is required. */
static tk_status peer_end(struct parse_state *s, tk_error *err)
{
	if (!s->in_peer)
		return TK_OK;
	s->in_peer = false;
	struct tk__peer_conf *p = &s->c->peers[s->c->npeers - 1];
	if (!s->peer_ep_line)
		return tk__config_error(err, s->origin, p->line,
					"this [Peer] has no Endpoint = ADDRESS:PORT");
	return TK_OK;
}

static tk_status on_item(void *user, const struct tk__ini_item *it, tk_error *err)
{
	struct parse_state *s = user;
	tk_status st;

	if (it->key) {
		if (s->in_iface)
			return iface_item(s, it, err);
		return peer_item(s, it, err);
	}
	if ((st = peer_end(s, err)) != TK_OK)
		return st;
	if (it->section_arg[0])
		return tk__config_error(err, s->origin, it->line,
					"[%s] takes no argument (got \"%s\")", it->section,
					it->section_arg);
	if (tk__config_key_is(it->section, "Interface")) {
		if (s->iface_line)
			return tk__config_error(err, s->origin, it->line,
						"a second [Interface] (the first is at line %u)",
						s->iface_line);
		s->iface_line = it->line;
		s->in_iface = true;
		return TK_OK;
	}
	if (tk__config_key_is(it->section, "Peer")) {
		s->in_iface = false;
		if (!tk__tunnel_conf_add_peer(s->c, it->line))
			return tk__config_error(err, s->origin, it->line,
						"too many peers (at most %d)", TK__PEERS_MAX);
		s->in_peer = true;
		s->peer_ep_line = s->peer_key_line = 0;
		return TK_OK;
	}
	return tk__config_error(err, s->origin, it->line,
				"unknown section [%s] (expected [Interface] or [Peer])",
				it->section);
}

/*
 * The private key of a file being read. keep: the running configuration when the file is
 * reloaded (NULL otherwise). A tunnel with a User read its key as root at start and may not
 * read it now (tk__key_file_read_for refuses a key the User owns): the running key is kept
 * while PrivateKeyFile names the same file, and another file is refused (a new key needs a
 * restart). The file's content is not compared: the User cannot read it.
 */
static tk_status conf_key(struct tk__tunnel_conf *c, const char *where,
			  const struct tk__tunnel_conf *keep, tk_error *err)
{
	if (keep && keep->has_user) {
		if (keep->has_key && strcmp(c->key_file, keep->key_file) == 0) {
			memcpy(c->sk, keep->sk, TK__KEY_LEN);
			memcpy(c->pk, keep->pk, TK__KEY_LEN);
			c->has_key = true;
			return TK_OK;
		}
		tk__error_set_quiet(err, TK_E_CONFIG, "reload", where, TK_OS_NONE, 0,
				    "PrivateKeyFile changed (%s, running with %s) while the tunnel "
				    "runs as its User (uid %u): the key is read at start only, as "
				    "root",
				    c->key_file, keep->key_file[0] ? keep->key_file : "none",
				    (unsigned)keep->uid);
		tk__error_remedy(err, "restart the tunnel to use the new key");
		return TK_E_CONFIG;
	}
	tk_status st = tk__key_file_read_for(c->key_file, where, c->has_user ? c->uid : (uid_t)-1,
					     c->sk, err);
	if (st == TK_OK) {
		c->has_key = true;
		tk__key_public(c->sk, c->pk);
	}
	return st;
}

static tk_status file_check(const char *path, FILE *f, const struct tk__tunnel_conf *keep,
			    const struct tk__tunnel_conf *c, tk_error *err);

/*
 * text, read from f (NULL: a string) whose name is origin. The file is checked (file_check)
 * once its User and PresharedKeys are known and before anything it names is read: a refused
 * file has no key read on its behalf, and its refusal is the error.
 */
static tk_status conf_parse(const char *text, size_t len, const char *origin, FILE *f,
			    const struct tk__tunnel_conf *keep, struct tk__tunnel_conf *c,
			    tk_error *err)
{
	struct parse_state s = { 0 };
	tk_status st;

	tk__tunnel_conf_init(c);
	if (!origin || !*origin)
		origin = "<string>";
	tk__strlcpy(c->origin, origin, sizeof(c->origin));
	s.c = c;
	s.origin = c->origin;
	st = tk__ini_parse(text, len, origin, on_item, &s, err);
	if (st == TK_OK)
		st = peer_end(&s, err);
	if (st == TK_OK && !s.iface_line)
		st = tk__config_error(err, origin, 0,
				      "no [Interface] section (it names the adapter: Name = tk0)");
	if (st == TK_OK && !c->dev[0])
		st = tk__config_error(err, origin, s.iface_line,
				      "[Interface] has no Name = ADAPTER");
	if (st == TK_OK && s.seen[K_LISTEN_ADDR] && s.listen_port_set) {
		/* one place says the port: ListenAddress's own port or ListenPort */
		struct sockaddr_in *s4 = (struct sockaddr_in *)&c->listen;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->listen;
		if ((c->listen.ss_family == AF_INET && s4->sin_port) ||
		    (c->listen.ss_family == AF_INET6 && s6->sin6_port))
			st = tk__config_error(
				err, origin, s.listen_port_line,
				"ListenPort conflicts with the port in ListenAddress (line %u): give one",
				s.seen[K_LISTEN_ADDR]);
	}
	if (st == TK_OK && c->mode == TK__TUNNEL_SEALED && !c->key_file[0])
		st = tk__config_error(
			err, origin, s.iface_line,
			"Mode = sealed needs PrivateKeyFile = FILE (make one: umask 077; tapkit genkey > FILE)");
	if (st == TK_OK && f)
		st = file_check(origin, f, keep, c, err);
	if (st == TK_OK && c->key_file[0]) {
		char where[TK_ERROR_OBJECT_MAX];
		snprintf(where, sizeof(where), "%s:%u", origin, s.key_line);
		st = conf_key(c, where, keep, err);
	}
	if (st == TK_OK)
		st = tk__tunnel_conf_finish(c, err);
	if (st != TK_OK)
		tk__tunnel_conf_free(c);
	return st;
}

tk_status tk__tunnel_conf_parse(const char *text, size_t len, const char *origin,
				struct tk__tunnel_conf *c, tk_error *err)
{
	return conf_parse(text, len, origin, NULL, NULL, c, err);
}

/* Whether a peer of c has a PresharedKey: the configuration file then holds a secret. */
static bool conf_has_psk(const struct tk__tunnel_conf *c)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (c->peers[i].has_psk)
			return true;
	return false;
}

#ifndef _WIN32 /* Windows: ACLs, not modes (below; the verdict: src/windows/acllogic.c) */
/*
 * The configuration file is guarded like the key file: whoever can write it can add a [Peer]
 * (or point PrivateKeyFile elsewhere), and a PresharedKey in it is a secret. Nothing the
 * tunnel's User (the unprivileged process after the drop) can write may be read by the next
 * start as root. Refused: a file group or others may write; one owned by someone but root or
 * us, or by the User; one in a directory someone else may write (dirs_check); one others may
 * read when it holds a PresharedKey. A PresharedKey file may be group-readable (0640) when its
 * group is the User's: the dropped process re-reads it on a reload, and it holds the keys anyway.
 * user/gid: the User ((uid_t)-1 without one).
 */
static tk_status conf_file_check(const char *path, const struct stat *sb, bool psk, uid_t user,
				 gid_t gid, tk_error *err)
{
	unsigned mode = (unsigned)(sb->st_mode & 07777);
	if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
		tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_NONE, 0,
				    "configuration file %s may be written by group or others (mode "
				    "%04o): refused (whoever can write it can add a [Peer])",
				    path, mode);
		tk__error_remedy(err, "chmod go-w %s", path);
		return TK_E_CONFIG;
	}
	if (user != (uid_t)-1 && sb->st_uid == user) {
		tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_NONE, 0,
				    "configuration file %s is owned by uid %u, the User the tunnel "
				    "drops to (mode %04o): refused (after a compromise of the "
				    "unprivileged process it could add a [Peer] or change "
				    "PrivateKeyFile for the next start as root)",
				    path, (unsigned)user, mode);
		tk__error_remedy(err, "chown root:root %s; chmod go-w %s", path, path);
		return TK_E_CONFIG;
	}
	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		tk__error_set_quiet(
			err, TK_E_CONFIG, "read config", path, TK_OS_NONE, 0,
			"configuration file %s is owned by uid %u, neither root nor the "
			"user running the tunnel (mode %04o): refused (it could have been "
			"planted)",
			path, (unsigned)sb->st_uid, mode);
		tk__error_remedy(err, "if it is yours: chown root %s", path);
		return TK_E_CONFIG;
	}
	/* group-readable for the User's group alone: its bits are that group's (no ACL) */
	bool user_group = user != (uid_t)-1 && sb->st_gid == gid &&
			  (sb->st_mode & S_IRWXG) == S_IRGRP &&
			  getxattr(path, "system.posix_acl_access", NULL, 0) < 0;
	if (psk && ((sb->st_mode & S_IRWXO) || ((sb->st_mode & S_IRWXG) && !user_group))) {
		tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_NONE, 0,
				    "configuration file %s holds a PresharedKey and is readable by "
				    "group or others (mode %04o, group %u): refused",
				    path, mode, (unsigned)sb->st_gid);
		if (user != (uid_t)-1)
			tk__error_remedy(err,
					 "chmod 600 %s, or let the User's group alone read it: "
					 "chgrp %u %s; chmod 640 %s",
					 path, (unsigned)gid, path, path);
		else
			tk__error_remedy(err, "chmod 600 %s", path);
		return TK_E_CONFIG;
	}
	return dirs_check(path, "configuration file", "read config", path, user, err);
}

static tk_status file_check(const char *path, FILE *f, const struct tk__tunnel_conf *keep,
			    const struct tk__tunnel_conf *c, tk_error *err)
{
	struct stat sb;
	/* the User: the running tunnel's on a reload (it runs as that user now), else the file's */
	const struct tk__tunnel_conf *u = keep && keep->has_user ? keep : c;
	if (fstat(fileno(f), &sb) != 0) {
		int e = errno;
		char ebuf[128];
		return tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_ERRNO, e,
					   "cannot stat %s: %s", path,
					   tk__errno_text(e, ebuf, sizeof(ebuf)));
	}
	return conf_file_check(path, &sb, conf_has_psk(c), u->has_user ? u->uid : (uid_t)-1, u->gid,
			       err);
}
#else
/*
 * The configuration file on Windows, as the mode on Linux: whoever can write it can add a
 * [Peer] or point PrivateKeyFile elsewhere, so a DACL that lets Everyone, Users or
 * Authenticated Users write it (or take it over: WRITE_DAC, WRITE_OWNER, DELETE) is refused,
 * and one that lets them read it when it holds a PresharedKey; then, as Linux refuses a file
 * someone else owns, one whose owner is none of Administrators, SYSTEM, TrustedInstaller and
 * this process's user. The DACL and owner are read as the key file's (keyfile_windows.c).
 */
static tk_status conf_file_check(const char *path, const struct tk__tunnel_conf *c, tk_error *err)
{
	bool psk = conf_has_psk(c);
	struct tk__win_acl v;
	tk_status st = tk__win_file_acl(path, "read config", path, "configuration file", &v, err);
	if (st != TK_OK)
		return st;
	const char *who = v.writable ? v.writer : psk && v.readable ? v.reader : NULL;
	if (!who)
		return tk__win_owner_check(&v, path, "read config", path, "configuration file",
					   err);
	tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_NONE, 0,
			    "configuration file %s %s %s: refused%s", path,
			    v.writable ? "can be written by"
				       : "holds a PresharedKey and can be read by",
			    who, v.writable ? " (whoever can write it can add a [Peer])" : "");
	tk__win_acl_remedy(err, path);
	return TK_E_CONFIG;
}

static tk_status file_check(const char *path, FILE *f, const struct tk__tunnel_conf *keep,
			    const struct tk__tunnel_conf *c, tk_error *err)
{
	(void)f;
	(void)keep;
	return conf_file_check(path, c, err);
}
#endif

tk_status tk__tunnel_conf_load(const char *path, struct tk__tunnel_conf *c, tk_error *err)
{
	return tk__tunnel_conf_reload(path, NULL, c, err);
}

tk_status tk__tunnel_conf_reload(const char *path, const struct tk__tunnel_conf *keep,
				 struct tk__tunnel_conf *c, tk_error *err)
{
	char *text = NULL;
	tk_status st;
	FILE *f = fopen(path, "rb");

	tk__tunnel_conf_init(c);
	if (!f) {
		int e = errno;
		char ebuf[128];
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_ERRNO, e,
					 "cannot open %s: %s", path,
					 tk__errno_text(e, ebuf, sizeof(ebuf)));
#ifndef _WIN32
		/* a reload after the drop reads the file as the User (a PresharedKey's 0600) */
		if (e == EACCES && keep && keep->has_user && geteuid() == keep->uid) {
			char dir[PATH_MAX];
			dir_of(path, dir, sizeof(dir));
			/* access(2) asks with the real ids: the User's now */
			if (access(dir, X_OK) != 0)
				tk__error_remedy(
					err,
					"the tunnel runs as its User (uid %u) since its "
					"start and re-reads the file as that user, who may "
					"not enter %s: chgrp %u %s; chmod 750 %s (or restart "
					"the tunnel)",
					(unsigned)keep->uid, dir, (unsigned)keep->gid, dir, dir);
			else
				tk__error_remedy(
					err,
					"the tunnel runs as its User (uid %u) since its "
					"start and re-reads the file as that user: let its "
					"group read it: chgrp %u %s; chmod 640 %s (or "
					"restart the tunnel)",
					(unsigned)keep->uid, (unsigned)keep->gid, path, path);
		}
#endif
		return st;
	}
	text = malloc(TK__INI_FILE_MAX + 1);
	if (!text) {
		fclose(f);
		return tk__error_set_quiet(err, TK_E_NO_MEMORY, "read config", path, TK_OS_NONE, 0,
					   "cannot allocate a buffer for %s", path);
	}
	size_t len = fread(text, 1, TK__INI_FILE_MAX + 1, f);
	if (ferror(f) || len > TK__INI_FILE_MAX)
		st = tk__error_set_quiet(err, TK_E_CONFIG, "read config", path, TK_OS_NONE, 0,
					 "%s cannot be read or is larger than %zu bytes", path,
					 TK__INI_FILE_MAX);
	else
		st = conf_parse(text, len, path, f, keep, c, err);
	free(text);
	fclose(f);
	return st;
}

/* ---- what the keys mean together ---- */

static tk_status conf_error(const struct tk__tunnel_conf *c, unsigned line, const char *flag,
			    tk_error *err, const char *fmt, ...) TK_PRINTF(5, 6);

/* A problem found after reading: at FILE:LINE for a file, naming the flag otherwise. */
static tk_status conf_error(const struct tk__tunnel_conf *c, unsigned line, const char *flag,
			    tk_error *err, const char *fmt, ...)
{
	char msg[TK_ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, ap is started */
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	if (c->origin[0])
		return tk__config_error(err, c->origin, line, "%s", msg);
	return tk__error_set_quiet(err, TK_E_CONFIG, "tunnel", flag, TK_OS_NONE, 0, "%s", msg);
}

static bool same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
	return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 && x->sin6_port == y->sin6_port;
}

tk_status tk__tunnel_conf_finish(struct tk__tunnel_conf *c, tk_error *err)
{
	if (!c->dev[0])
		return conf_error(c, 0, "Name", err, "no adapter: set Name = ADAPTER");
	/* built key by key (a file reads its key as it is parsed): the key file now, User known */
	if (c->mode == TK__TUNNEL_SEALED && !c->key_file[0] && !c->has_key)
		return conf_error(c, 0, "PrivateKeyFile", err,
				  "Mode = sealed needs PrivateKeyFile = FILE (make one: umask 077; "
				  "tapkit genkey > FILE)");
	if (c->key_file[0] && !c->has_key) {
		tk_status st = tk__key_file_read_for(c->key_file, "PrivateKeyFile",
						     c->has_user ? c->uid : (uid_t)-1, c->sk, err);
		if (st != TK_OK)
			return st;
		c->has_key = true;
		tk__key_public(c->sk, c->pk);
	}
	if (c->npeers == 0)
		return conf_error(c, 0, "--peer", err,
				  "no peer: add a [Peer] section with Endpoint = ADDRESS:PORT");
	if (c->listen.ss_family != AF_UNSPEC) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&c->listen;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->listen;
		uint16_t p = c->listen.ss_family == AF_INET ? s4->sin_port : s6->sin6_port;
		if (p)
			c->port = ntohs(p);
		else if (c->listen.ss_family == AF_INET)
			s4->sin_port = htons(c->port);
		else
			s6->sin6_port = htons(c->port);
	}
	bool v6 = c->listen.ss_family == AF_INET6;
	for (size_t i = 0; i < c->npeers; i++) {
		struct tk__peer_conf *p = &c->peers[i];
		if (p->ep.ss_family == AF_INET6)
			v6 = true;
		if (c->listen.ss_family == AF_INET && p->ep.ss_family == AF_INET6)
			return conf_error(c, p->line, "--peer", err,
					  "peer %s is IPv6 but the listen address is IPv4",
					  p->ep_text);
		if (c->listen.ss_family == AF_INET6 && p->ep.ss_family == AF_INET) {
			const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&c->listen;
			if (!IN6_IS_ADDR_UNSPECIFIED(&l6->sin6_addr))
				return conf_error(c, p->line, "--peer", err,
						  "peer %s is IPv4 but the listen address is IPv6",
						  p->ep_text);
		}
		if (c->mode == TK__TUNNEL_SEALED && !p->has_key)
			return conf_error(
				c, p->line, "--peer-key", err,
				"Mode = sealed: peer %s needs PublicKey = KEY (its `tapkit pubkey`)",
				p->ep_text);
		if (c->has_key && p->has_key && sodium_memcmp(p->pk, c->pk, TK__KEY_LEN) == 0)
			return conf_error(c, p->line, "--peer-key", err,
					  "peer %s has our own public key", p->ep_text);
		if (c->mode == TK__TUNNEL_SEALED) {
			uint8_t tx[TK__KEY_LEN], rx[TK__KEY_LEN];
			bool ok = tk__seal_derive(c->sk, c->pk, p->pk, tx, rx);
			sodium_memzero(tx, sizeof(tx));
			sodium_memzero(rx, sizeof(rx));
			if (!ok)
				return conf_error(
					c, p->line, "--peer-key", err,
					"peer %s: PublicKey is not usable (a low-order point: no shared key)",
					p->ep_text);
		}
		for (size_t j = 0; j < i; j++) {
			if (same_endpoint(&p->ep, &c->peers[j].ep))
				return conf_error(c, p->line, "--peer", err,
						  "peer %s is listed twice", p->ep_text);
			if (p->has_key && c->peers[j].has_key &&
			    memcmp(p->pk, c->peers[j].pk, TK__KEY_LEN) == 0)
				return conf_error(c, p->line, "--peer-key", err,
						  "peer %s has the public key of an earlier peer",
						  p->ep_text);
		}
	}
	if (c->mtu == 0)
		c->mtu = tk__tunnel_default_mtu(c->mode, v6);
	for (size_t i = 0; i < c->naddrs; i++) {
		tk_error e2 = { 0 };
		if (c->addrs[i].family == 6 &&
		    tk_mtu_check(c->mtu, TK_MTU_TUNNEL | TK_MTU_IPV6, &e2) != TK_OK)
			return conf_error(c, 0, "MTU", err, "MTU %u with an IPv6 Address: %s",
					  (unsigned)c->mtu, e2.message);
	}
	return TK_OK;
}

/* ---- the public configuration object (tapkit.h) ---- */

/* A new configuration with the defaults, or NULL (err filled) when out of memory. */
static tk_tunnel_config *cfg_alloc(tk_ctx *ctx, tk_error *err)
{
	tk_tunnel_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		tk__error_set(ctx, err, TK_E_NO_MEMORY, "tunnel config", "", TK_OS_NONE, 0,
			      "cannot allocate a tunnel configuration");
		return NULL;
	}
	cfg->ctx = ctx;
	tk__tunnel_conf_init(&cfg->c);
	return cfg;
}

tk_status tk_tunnel_config_new(tk_ctx *ctx, tk_tunnel_config **out, tk_error *err)
{
	if (!out)
		return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "tunnel config", "out",
				     TK_OS_NONE, 0, "out is NULL");
	*out = cfg_alloc(ctx, err);
	return *out ? TK_OK : TK_E_NO_MEMORY;
}

tk_status tk_tunnel_config_parse(tk_ctx *ctx, const char *text, size_t len, const char *origin,
				 tk_tunnel_config **out, tk_error *err)
{
	if (!out || (!text && len))
		return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "tunnel config", "text",
				     TK_OS_NONE, 0, "text or out is NULL");
	tk_tunnel_config *cfg = cfg_alloc(ctx, err);
	*out = NULL;
	if (!cfg)
		return TK_E_NO_MEMORY;
	tk_status st = tk__tunnel_conf_parse(text ? text : "", len, origin, &cfg->c, err);
	if (st != TK_OK) {
		free(cfg);
		return st;
	}
	cfg->checked = true;
	*out = cfg;
	return TK_OK;
}

tk_status tk_tunnel_config_load(tk_ctx *ctx, const char *path, tk_tunnel_config **out,
				tk_error *err)
{
	return tk__tunnel_config_reload(ctx, path, NULL, out, err);
}

tk_status tk__tunnel_config_reload(tk_ctx *ctx, const char *path,
				   const struct tk__tunnel_conf *keep, tk_tunnel_config **out,
				   tk_error *err)
{
	if (!out || !path)
		return tk__error_set(ctx, err, TK_E_BAD_ARGUMENT, "tunnel config", "path",
				     TK_OS_NONE, 0, "path or out is NULL");
	tk_tunnel_config *cfg = cfg_alloc(ctx, err);
	*out = NULL;
	if (!cfg)
		return TK_E_NO_MEMORY;
	tk_status st = tk__tunnel_conf_reload(path, keep, &cfg->c, err);
	if (st != TK_OK) {
		free(cfg);
		return st;
	}
	cfg->checked = true;
	*out = cfg;
	return TK_OK;
}

static tk_status set_fail(tk_error *err, const char *key, const char *why)
{
	return tk__error_set_quiet(err, TK_E_CONFIG, "tunnel config", key ? key : "", TK_OS_NONE, 0,
				   "%s", why);
}

tk_status tk_tunnel_config_set(tk_tunnel_config *cfg, const char *key, const char *value,
			       tk_error *err)
{
	char why[TK_ERROR_TEXT_MAX];
	if (!cfg || !key || !value)
		return set_fail(err, key, "the configuration, key or value is NULL");
	/* a failed setter leaves the configuration as it was */
	struct tk__tunnel_conf before = cfg->c;
	if (!tk__tunnel_conf_set(&cfg->c, key, value, why, sizeof(why))) {
		struct tk__peer_conf *peers = cfg->c.peers;
		cfg->c = before;
		cfg->c.peers = peers;
		sodium_memzero(&before, sizeof(before));
		return set_fail(err, key, why);
	}
	sodium_memzero(&before, sizeof(before));
	cfg->checked = false;
	return TK_OK;
}

tk_status tk_tunnel_config_add_peer(tk_tunnel_config *cfg, size_t *index, tk_error *err)
{
	if (!cfg)
		return set_fail(err, "[Peer]", "the configuration is NULL");
	if (!tk__tunnel_conf_add_peer(&cfg->c, 0)) {
		char why[80];
		snprintf(why, sizeof(why), "too many peers (at most %d), or out of memory",
			 TK__PEERS_MAX);
		return set_fail(err, "[Peer]", why);
	}
	if (index)
		*index = cfg->c.npeers - 1;
	cfg->checked = false;
	return TK_OK;
}

tk_status tk_tunnel_config_peer_set(tk_tunnel_config *cfg, size_t index, const char *key,
				    const char *value, tk_error *err)
{
	char why[TK_ERROR_TEXT_MAX];
	if (!cfg || !key || !value || index >= cfg->c.npeers)
		return set_fail(err, key, "no such peer, or the key or value is NULL");
	struct tk__peer_conf before = cfg->c.peers[index];
	if (!tk__tunnel_peer_set(&cfg->c.peers[index], key, value, why, sizeof(why))) {
		cfg->c.peers[index] = before;
		return set_fail(err, key, why);
	}
	cfg->checked = false;
	return TK_OK;
}

tk_status tk_tunnel_config_check(tk_tunnel_config *cfg, tk_error *err)
{
	if (!cfg)
		return set_fail(err, "", "the configuration is NULL");
	if (cfg->checked)
		return TK_OK;
	for (size_t i = 0; i < cfg->c.npeers; i++)
		if (cfg->c.peers[i].ep.ss_family == AF_UNSPEC)
			return set_fail(err, "Endpoint", "a peer has no Endpoint = ADDRESS:PORT");
	tk_status st = tk__tunnel_conf_finish(&cfg->c, err);
	if (st == TK_OK)
		cfg->checked = true;
	return st;
}

void tk_tunnel_config_free(tk_tunnel_config *cfg)
{
	if (!cfg)
		return;
	tk__tunnel_conf_free(&cfg->c);
	sodium_memzero(cfg, sizeof(*cfg));
	free(cfg);
}

const char *tk_tunnel_config_name(const tk_tunnel_config *cfg)
{
	return cfg ? cfg->c.dev : "";
}

const char *tk_tunnel_config_origin(const tk_tunnel_config *cfg)
{
	return cfg ? cfg->c.origin : "";
}

const char *tk_tunnel_config_control(const tk_tunnel_config *cfg)
{
	return cfg ? cfg->c.control : "";
}

void tk_tunnel_config_user(const tk_tunnel_config *cfg, tk_tunnel_user *out)
{
	memset(out, 0, sizeof(*out));
	if (!cfg || !cfg->c.has_user)
		return;
	out->set = true;
	out->group_given = cfg->c.user_group_given;
	out->uid = (uint32_t)cfg->c.uid;
	out->gid = (uint32_t)cfg->c.gid;
	tk__strlcpy(out->name, cfg->c.user, sizeof(out->name));
}
