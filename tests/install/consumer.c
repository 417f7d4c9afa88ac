/* SPDX-License-Identifier: MIT */
/*
 * A program outside the tapkit tree, built against an installed tapkit (pkg-config or
 * find_package): it must find the header, link, load libtapkit.so.0 (or the static library and
 * libmnl) and run. tests/install/test_install.sh checks what it prints.
 */
#include <stdio.h>
#include <tapkit.h>

int main(void)
{
	tk_ctx *ctx = NULL;
	tk_error err;
	tk_status st = tk_ctx_new(&ctx, &err);

	printf("ctx_new: %s\n", tk_status_name(st));
	if (st != TK_OK)
		return 1;
	printf("status 10: %s\n", tk_status_name(TK_E_ADAPTER_BUSY));
	st = tk_adapter_name_check("tap0", &err);
	printf("name tap0: %s\n", tk_status_name(st));
	/* 16 characters: one more than IFNAMSIZ allows. */
	st = tk_adapter_name_check("abcdefghijklmnop", &err);
	printf("name too long: %s\n", tk_status_name(st));
	tk_ctx_free(ctx);
	return 0;
}
