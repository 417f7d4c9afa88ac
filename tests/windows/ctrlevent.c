/* SPDX-License-Identifier: MIT */
/*
 * ctrlevent.exe PID EVENT: delivers console control event EVENT (0 CTRL_C, 1 CTRL_BREAK,
 * 2 CTRL_CLOSE, 5 CTRL_LOGOFF, 6 CTRL_SHUTDOWN) to process PID the way Windows does: a thread
 * started in it at kernelbase's CtrlRoutine with the event as its argument (GenerateConsole-
 * CtrlEvent can send only the first two, and only to processes sharing our console). Exits 0
 * once that thread has run, with CtrlRoutine's result printed; 1 with the Windows error.
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ctrlevent.exe PID EVENT\n");
		return 2;
	}
	DWORD pid = (DWORD)strtoul(argv[1], NULL, 0);
	DWORD event = (DWORD)strtoul(argv[2], NULL, 0);
	HMODULE kb = GetModuleHandleW(L"kernelbase.dll");
	FARPROC routine = kb ? GetProcAddress(kb, "CtrlRoutine") : NULL;
	if (!routine) {
		fprintf(stderr, "ctrlevent: no CtrlRoutine in kernelbase.dll (win32 %lu)\n",
			(unsigned long)GetLastError());
		return 1;
	}
	HANDLE p = OpenProcess(PROCESS_CREATE_THREAD | PROCESS_QUERY_INFORMATION |
				       PROCESS_VM_OPERATION | PROCESS_VM_WRITE | PROCESS_VM_READ,
			       FALSE, pid);
	if (!p) {
		fprintf(stderr, "ctrlevent: cannot open process %lu (win32 %lu)\n",
			(unsigned long)pid, (unsigned long)GetLastError());
		return 1;
	}
	HANDLE t = CreateRemoteThread(p, NULL, 0, (LPTHREAD_START_ROUTINE)(void *)routine,
				      (void *)(ULONG_PTR)event, 0, NULL);
	if (!t) {
		fprintf(stderr, "ctrlevent: cannot start a thread in process %lu (win32 %lu)\n",
			(unsigned long)pid, (unsigned long)GetLastError());
		CloseHandle(p);
		return 1;
	}
	DWORD code = 0;
	/* the process may end while the thread runs (the default handler exits it) */
	WaitForSingleObject(t, 30000);
	GetExitCodeThread(t, &code);
	printf("event %lu delivered to process %lu: CtrlRoutine returned %lu\n",
	       (unsigned long)event, (unsigned long)pid, (unsigned long)code);
	CloseHandle(t);
	CloseHandle(p);
	return 0;
}
