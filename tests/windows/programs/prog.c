/* SPDX-License-Identifier: MIT */
/*
 * Test program for `tapkit doctor --program` (tests/windows/test_program.sh). Never run: the
 * doctor only reads its file. Which DLL it imports is chosen at build time: -DIMPORT_<X> calls
 * one function of that DLL, through an import library (or a delay-import library) that
 * build.sh makes from a .def file, so the DLL itself need not exist.
 */
#include <stdio.h>

#if defined(IMPORT_MISSING) || defined(IMPORT_DELAY)
__declspec(dllimport) int tk_missing_probe(void);
#define CALL() tk_missing_probe()
#elif defined(IMPORT_VCRT)
__declspec(dllimport) void __std_terminate(void);
#define CALL() (__std_terminate(), 0)
#elif defined(IMPORT_WINTUN)
__declspec(dllimport) unsigned long WintunGetRunningDriverVersion(void);
#define CALL() (int)WintunGetRunningDriverVersion()
#elif defined(IMPORT_HELPER)
__declspec(dllimport) int tk_helper_probe(void);
#define CALL() tk_helper_probe()
#elif defined(IMPORT_NEWDEV)
__declspec(dllimport) int DiInstallDriverW(void *, const unsigned short *, unsigned long, int *);
#define CALL() DiInstallDriverW(0, 0, 0, 0)
#else
#define CALL() 0
#endif

int main(int argc, char **argv)
{
	(void)argv;
	/* Only with an argument, so that running it by mistake does nothing. */
	if (argc > 5)
		return CALL();
	puts("tapkit doctor --program test program");
	return 0;
}
