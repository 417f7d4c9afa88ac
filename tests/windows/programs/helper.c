/* SPDX-License-Identifier: MIT */
/* A DLL beside a test program that itself needs a DLL that is missing (recursion). */
__declspec(dllimport) int tk_deep_probe(void);
__declspec(dllexport) int tk_helper_probe(void);
__declspec(dllexport) int tk_helper_probe(void)
{
	return tk_deep_probe();
}
