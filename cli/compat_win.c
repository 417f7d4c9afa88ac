/* SPDX-License-Identifier: MIT */
/*
 * The CLI on Windows: UTF-8 arguments and console output, so names and JSON are UTF-8 on every
 * platform. Built everywhere (the CLI's sources are globbed) but empty outside Windows.
 */
#include "compat.h"

#if defined(_WIN32)
#include <windows.h>
#include <shellapi.h>

#include <stdlib.h>

void cli_win_utf8_args(int *argc, char ***argv)
{
	int n = 0;
	wchar_t **w = CommandLineToArgvW(GetCommandLineW(), &n);
	if (!w)
		return;
	char **out = calloc((size_t)n + 1, sizeof(*out));
	for (int i = 0; out && i < n; i++) {
		int len = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
		out[i] = len > 0 ? malloc((size_t)len) : NULL;
		if (!out[i] ||
		    !WideCharToMultiByte(CP_UTF8, 0, w[i], -1, out[i], len, NULL, NULL)) {
			for (int k = 0; k <= i; k++)
				free(out[k]);
			free(out);
			out = NULL;
		}
	}
	LocalFree(w);
	if (!out)
		return;
	*argc = n;
	*argv = out;
	/* A console shows UTF-8 output right only with its code page set; pipes are unaffected. */
	SetConsoleOutputCP(CP_UTF8);
}
#else
/* ISO C forbids an empty translation unit. */
typedef int cli_compat_win_unused;
#endif
