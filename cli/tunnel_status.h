/* SPDX-License-Identifier: MIT */
/*
 * `tapkit tunnel status` on the client side: the daemon serves its state as one JSON document
 * (docs/json.md, "tunnel status"); this checks it and renders the text of docs/tunnel.md from
 * it, as `wg show` renders what it gets over its UAPI. Independent of the transport: the bytes
 * come from a UNIX socket on Linux, from a named pipe on Windows. Portable C.
 */
#ifndef TK_CLI_TUNNEL_STATUS_H
#define TK_CLI_TUNNEL_STATUS_H

#include "tapkit.h"

#include <stddef.h>
#include <stdio.h>

/*
 * Checks that doc[0..len) is a status document of a version this client reads: well-formed
 * JSON (json_read.h) with every field the text needs, of its type. TK_OK, or TK_E_IO with err
 * naming where (the socket or pipe the answer came from), the byte offset of malformed JSON
 * or the field that is missing or of the wrong type, and the fix.
 */
tk_status cli_tunnel_status_check(const char *doc, size_t len, const char *where, tk_error *err);
/* The text form of doc to f; nothing is written when the check above fails (its status). */
tk_status cli_tunnel_status_text(FILE *f, const char *doc, size_t len, const char *where,
				 tk_error *err);

#endif /* TK_CLI_TUNNEL_STATUS_H */
