/* SPDX-License-Identifier: MIT */
/* Windows-only adjustments of the CLI's process environment (cli/compat_win.c). */
#ifndef TK_CLI_COMPAT_H
#define TK_CLI_COMPAT_H

#if defined(_WIN32)
/*
 * Replaces argv with the command line in UTF-8 (Windows hands main() the ANSI code page, which
 * cannot hold a connection name such as "Büro-VPN ✓") and switches the console to UTF-8 output.
 * On failure argv is left as it was. The new argv lives until the process exits.
 */
void cli_win_utf8_args(int *argc, char ***argv);
#endif

#endif /* TK_CLI_COMPAT_H */
