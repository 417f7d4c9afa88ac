// SPDX-License-Identifier: MIT

//go:build cgo

// Code generated from the TK_STATUS_MAP of include/tapkit.h; keep in step with it (the
// test TestCausesMatchLibrary checks every value against the library).

package tapkit

// The causes, as comparable error values: errors.Is(err, tapkit.ErrAdapterBusy).
const (
	ErrNoPrivilege          Cause = 1  // TK_E_NO_PRIVILEGE
	ErrDriverNotInstalled   Cause = 2  // TK_E_DRIVER_NOT_INSTALLED
	ErrDriverFilesMissing   Cause = 3  // TK_E_DRIVER_FILES_MISSING
	ErrDriverUnsigned       Cause = 4  // TK_E_DRIVER_UNSIGNED
	ErrDriverBlocked        Cause = 5  // TK_E_DRIVER_BLOCKED
	ErrDriverServiceStopped Cause = 6  // TK_E_DRIVER_SERVICE_STOPPED
	ErrDriverStartFailed    Cause = 7  // TK_E_DRIVER_START_FAILED
	ErrAdapterNotFound      Cause = 8  // TK_E_ADAPTER_NOT_FOUND
	ErrAdapterDisabled      Cause = 9  // TK_E_ADAPTER_DISABLED
	ErrAdapterBusy          Cause = 10 // TK_E_ADAPTER_BUSY
	ErrInvalidGUID          Cause = 11 // TK_E_INVALID_GUID
	ErrInvalidHandle        Cause = 12 // TK_E_INVALID_HANDLE
	ErrMissingDependency    Cause = 13 // TK_E_MISSING_DEPENDENCY
	ErrSecuritySoftware     Cause = 14 // TK_E_SECURITY_SOFTWARE
	ErrTunMissing           Cause = 15 // TK_E_TUN_MISSING
	ErrOwnerMismatch        Cause = 16 // TK_E_OWNER_MISMATCH
	ErrFlagsMismatch        Cause = 17 // TK_E_FLAGS_MISMATCH
	ErrLinkDown             Cause = 18 // TK_E_LINK_DOWN
	ErrNoCarrier            Cause = 19 // TK_E_NO_CARRIER
	ErrBadArgument          Cause = 20 // TK_E_BAD_ARGUMENT
	ErrNameInvalid          Cause = 21 // TK_E_NAME_INVALID
	ErrIO                   Cause = 22 // TK_E_IO
	ErrTimeout              Cause = 23 // TK_E_TIMEOUT
	ErrDeviceVanished       Cause = 24 // TK_E_DEVICE_VANISHED
	ErrExists               Cause = 25 // TK_E_EXISTS
	ErrNoMemory             Cause = 26 // TK_E_NO_MEMORY
	ErrUnsupported          Cause = 27 // TK_E_UNSUPPORTED
	ErrAgain                Cause = 28 // TK_E_AGAIN
	ErrNotTAP               Cause = 29 // TK_E_NOT_TAP
	ErrAdapterProblem       Cause = 30 // TK_E_ADAPTER_PROBLEM
	ErrAddressInvalid       Cause = 31 // TK_E_ADDRESS_INVALID
	ErrFrameTooBig          Cause = 32 // TK_E_FRAME_TOO_BIG
	ErrRebootRequired       Cause = 33 // TK_E_REBOOT_REQUIRED
	ErrWOW64                Cause = 34 // TK_E_WOW64
	ErrConfig               Cause = 35 // TK_E_CONFIG
	ErrInternal             Cause = 36 // TK_E_INTERNAL
	ErrInterrupted          Cause = 37 // TK_E_INTERRUPTED
)

// causeCount is TK_STATUS__COUNT.
const causeCount = 38
