/* SPDX-License-Identifier: MIT */
/*
 * The tunnel engine's calls where it is not built yet (Windows: the event loop is the next
 * step, docs/tunnel.md): each fails with TK_E_UNSUPPORTED, so a program links everywhere.
 */
#include "tapkit.h"
#include "core/core_internal.h"

#include <string.h>

static tk_status unsupported(tk_error *err, const char *op)
{
	tk__error_set_quiet(err, TK_E_UNSUPPORTED, op, "tunnel", TK_OS_NONE, 0,
			    "the tunnel engine is not available on this platform yet");
	return TK_E_UNSUPPORTED;
}

tk_status tk_tunnel_config_new(tk_ctx *ctx, tk_tunnel_config **out, tk_error *err)
{
	(void)ctx;
	if (out)
		*out = NULL;
	return unsupported(err, "tunnel config");
}

tk_status tk_tunnel_config_load(tk_ctx *ctx, const char *path, tk_tunnel_config **out,
				tk_error *err)
{
	(void)path;
	return tk_tunnel_config_new(ctx, out, err);
}

tk_status tk_tunnel_config_parse(tk_ctx *ctx, const char *text, size_t len, const char *origin,
				 tk_tunnel_config **out, tk_error *err)
{
	(void)text;
	(void)len;
	(void)origin;
	return tk_tunnel_config_new(ctx, out, err);
}

tk_status tk_tunnel_config_set(tk_tunnel_config *cfg, const char *key, const char *value,
			       tk_error *err)
{
	(void)cfg;
	(void)key;
	(void)value;
	return unsupported(err, "tunnel config");
}

tk_status tk_tunnel_config_add_peer(tk_tunnel_config *cfg, size_t *index, tk_error *err)
{
	(void)cfg;
	if (index)
		*index = 0;
	return unsupported(err, "tunnel config");
}

tk_status tk_tunnel_config_peer_set(tk_tunnel_config *cfg, size_t index, const char *key,
				    const char *value, tk_error *err)
{
	(void)cfg;
	(void)index;
	(void)key;
	(void)value;
	return unsupported(err, "tunnel config");
}

tk_status tk_tunnel_config_check(tk_tunnel_config *cfg, tk_error *err)
{
	(void)cfg;
	return unsupported(err, "tunnel config");
}

void tk_tunnel_config_free(tk_tunnel_config *cfg)
{
	(void)cfg;
}

const char *tk_tunnel_config_name(const tk_tunnel_config *cfg)
{
	(void)cfg;
	return "";
}

const char *tk_tunnel_config_origin(const tk_tunnel_config *cfg)
{
	(void)cfg;
	return "";
}

const char *tk_tunnel_config_control(const tk_tunnel_config *cfg)
{
	(void)cfg;
	return "";
}

void tk_tunnel_config_user(const tk_tunnel_config *cfg, tk_tunnel_user *out)
{
	(void)cfg;
	memset(out, 0, sizeof(*out));
}

tk_status tk_tunnel_new(tk_ctx *ctx, tk_tunnel_config *cfg, tk_tunnel **out, tk_error *err)
{
	(void)ctx;
	(void)cfg;
	if (out)
		*out = NULL;
	return unsupported(err, "tunnel");
}

void tk_tunnel_free(tk_tunnel *t)
{
	(void)t;
}

tk_os_handle tk_tunnel_handle(const tk_tunnel *t)
{
	(void)t;
	return TK_OS_HANDLE_INVALID;
}

tk_status tk_tunnel_dispatch(tk_tunnel *t, int timeout_ms, tk_error *err)
{
	(void)t;
	(void)timeout_ms;
	return unsupported(err, "dispatch");
}

tk_status tk_tunnel_run(tk_tunnel *t, tk_error *err)
{
	(void)t;
	return unsupported(err, "run");
}

void tk_tunnel_stop(tk_tunnel *t)
{
	(void)t;
}

tk_status tk_tunnel_reload(tk_tunnel *t, tk_tunnel_config *cfg, tk_error *err)
{
	(void)t;
	(void)cfg;
	return unsupported(err, "reload");
}

tk_status tk_tunnel_stats(tk_tunnel *t, tk_tunnel_snapshot **out, tk_error *err)
{
	(void)t;
	if (out)
		*out = NULL;
	return unsupported(err, "stats");
}

void tk_tunnel_snapshot_free(tk_tunnel_snapshot *s)
{
	(void)s;
}

const char *tk_tunnel_drop_name(size_t index)
{
	(void)index;
	return NULL;
}

const char *tk_tunnel_drop_description(size_t index)
{
	(void)index;
	return NULL;
}

tk_status tk_key_generate(char out[TK_KEY_TEXT_MAX], tk_error *err)
{
	if (out)
		out[0] = '\0';
	return unsupported(err, "genkey");
}

tk_status tk_key_public(const char *private_text, size_t len, char out[TK_KEY_TEXT_MAX],
			tk_error *err)
{
	(void)private_text;
	(void)len;
	if (out)
		out[0] = '\0';
	return unsupported(err, "pubkey");
}

void tk_key_wipe(void *buf, size_t len)
{
	volatile unsigned char *p = buf;
	for (size_t i = 0; p && i < len; i++)
		p[i] = 0;
}
