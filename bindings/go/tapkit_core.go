// SPDX-License-Identifier: MIT

package tapkit

/*
#cgo pkg-config: tapkit
#include "tapkit_go.h"
*/
import "C"

import (
	"fmt"
	"net"
	"net/netip"
	"unsafe"
)

// Version is the C library's version this package was built against ("0.1.0").
const Version = C.TK_VERSION_STRING

// Cause is why an operation failed: one of the TK_E_* values of the C library. It is an error
// itself, so errors.Is(err, tapkit.ErrAdapterBusy) matches an *Error with that cause. It formats
// as its stable name with %v and %s ("TK_E_ADAPTER_BUSY"); Message gives its meaning.
type Cause int

// Name is the stable C name: "TK_E_ADAPTER_BUSY".
func (c Cause) Name() string { return C.GoString(C.tk_status_name(C.tk_status(c))) }

// Error is the stable name, as Name: a Cause prints as "TK_E_ADAPTER_BUSY".
func (c Cause) Error() string { return c.Name() }

// String is the stable name, as Name.
func (c Cause) String() string { return c.Name() }

// Message is the cause's one-line meaning: "the adapter is in use by another process".
func (c Cause) Message() string { return C.GoString(C.tk_status_message(C.tk_status(c))) }

// Remedy is what to do about this cause in general; an *Error carries the specific fix.
func (c Cause) Remedy() string { return C.GoString(C.tk_status_remedy(C.tk_status(c))) }

// Transient says whether retrying the same call may succeed (the cause's default).
func (c Cause) Transient() bool { return bool(C.tk_status_transient(C.tk_status(c))) }

// Error is one failure of the library, with everything it knows about it.
type Error struct {
	Cause      Cause  // why: errors.Is(err, tapkit.ErrAdapterBusy)
	Op         string // what was done: "TUNSETIFF", "open", "RTM_NEWADDR"
	Object     string // on what: the adapter name, a GUID, a path
	Message    string // what failed, on what, why
	Remedy     string // the concrete fix
	OSKind     string // "errno", "netlink", "win32", ... ("none" without an OS code)
	OSCode     int64  // the raw OS code (an errno on Linux, a Win32 code on Windows)
	OSName     string // "EBUSY", "ERROR_GEN_FAILURE"; "" if unknown
	OSText     string // the OS's own text (strerror, FormatMessage, the kernel's extended ack)
	Transient  bool   // retrying the same call may succeed
	TraceID    string // the trace id on every log line the failing call caused (SetLogger)
	HolderPID  int    // ErrAdapterBusy: a process holding the adapter (0 if unknown)
	HolderName string // its name
}

func (e *Error) Error() string {
	s := fmt.Sprintf("tapkit: %s %q: %s (%s)", e.Op, e.Object, e.Message, e.Cause.Name())
	if e.OSKind != "none" && e.OSKind != "" {
		s += fmt.Sprintf(" [%s %d %s]", e.OSKind, e.OSCode, e.OSName)
	}
	return s
}

// Unwrap gives the cause, so errors.Is and errors.As see it.
func (e *Error) Unwrap() error { return e.Cause }

func goError(err *C.tk_error) error {
	if err.status == C.TK_E_OK {
		return nil
	}
	return &Error{
		Cause:      Cause(err.status),
		Op:         C.GoString(&err.op[0]),
		Object:     C.GoString(&err.object[0]),
		Message:    C.GoString(&err.message[0]),
		Remedy:     C.GoString(&err.remedy[0]),
		OSKind:     C.GoString(C.tk_os_kind_name(err.os_kind)),
		OSCode:     int64(err.os_code),
		OSName:     C.GoString(C.tk_os_code_name(err.os_kind, err.os_code)),
		OSText:     C.GoString(&err.os_text[0]),
		Transient:  bool(err.transient),
		TraceID:    C.GoString(&err.trace_id[0]),
		HolderPID:  int(err.holder_pid),
		HolderName: C.GoString(&err.holder_name[0]),
	}
}

// newCtx makes a library context whose log lines go to the hook of SetLogger, if any. The
// caller frees it with C.tk_ctx_free.
func newCtx() (*C.tk_ctx, error) {
	var ctx *C.tk_ctx
	var cerr C.tk_error
	if C.tk_ctx_new(&ctx, &cerr) != C.TK_E_OK {
		return nil, goError(&cerr)
	}
	if l := currentLogger(); l != nil {
		C.tk_go_set_logger(ctx, C.int(l.level))
	}
	return ctx, nil
}

// Mode is TAP (Ethernet frames) or TUN (IP packets).
type Mode int

// The two modes.
const (
	TAP Mode = C.TK_MODE_TAP
	TUN Mode = C.TK_MODE_TUN
)

func (m Mode) String() string {
	if m == TUN {
		return "tun"
	}
	return "tap"
}

// Holder is a process that holds an adapter open.
type Holder struct {
	PID  int
	Name string
}

// Adapter is what the OS knows about one TUN/TAP adapter.
type Adapter struct {
	Name       string // Linux: the interface name; Windows: the connection name
	ID         string // Linux: the ifindex as text; Windows: the {GUID}
	Index      int
	Mode       Mode
	Up         bool // administratively up
	Carrier    bool // a process has it open (Windows: media connected)
	Running    bool
	Persist    bool
	MultiQueue bool
	VnetHdr    bool
	MAC        net.HardwareAddr // nil for TUN
	MTU        int
	Owner      int64 // uid allowed to open it, -1 if none
	Group      int64 // gid likewise
	Queues     int
	Master     string // bridge, "" if none
	OperState  string
	Addrs      []netip.Prefix
	Holders    []Holder
	Driver     string
}

func goAdapter(in *C.tk_adapter_info) Adapter {
	flags := uint32(in.flags)
	a := Adapter{
		Name:       C.GoString(&in.name[0]),
		ID:         C.GoString(&in.id[0]),
		Index:      int(in.ifindex),
		Mode:       Mode(in.mode),
		Up:         flags&C.TK_ADAPTER_UP != 0,
		Carrier:    flags&C.TK_ADAPTER_CARRIER != 0,
		Running:    flags&C.TK_ADAPTER_RUNNING != 0,
		Persist:    flags&C.TK_ADAPTER_PERSIST != 0,
		MultiQueue: flags&C.TK_ADAPTER_MULTI_QUEUE != 0,
		VnetHdr:    flags&C.TK_ADAPTER_VNET_HDR != 0,
		MTU:        int(in.mtu),
		Owner:      int64(in.owner),
		Group:      int64(in.group),
		Queues:     int(in.num_queues),
		Master:     C.GoString(&in.master[0]),
		OperState:  C.GoString(&in.operstate[0]),
		Driver:     C.GoString(&in.driver[0]),
	}
	if a.Mode == TAP {
		a.MAC = C.GoBytes(unsafe.Pointer(&in.mac[0]), C.TK_MAC_LEN)
	}
	for i := 0; i < int(in.naddrs) && i < C.TK_MAX_ADDRS; i++ {
		ad := &in.addrs[i]
		var ip netip.Addr
		if ad.family == 4 {
			ip = netip.AddrFrom4(*(*[4]byte)(unsafe.Pointer(&ad.bytes[0])))
		} else {
			ip = netip.AddrFrom16(*(*[16]byte)(unsafe.Pointer(&ad.bytes[0])))
		}
		a.Addrs = append(a.Addrs, netip.PrefixFrom(ip, int(ad.prefix)))
	}
	for i := 0; i < int(in.nholders) && i < C.TK_MAX_HOLDERS; i++ {
		h := &in.holders[i]
		a.Holders = append(a.Holders, Holder{PID: int(h.pid), Name: C.GoString(&h.name[0])})
	}
	return a
}

// List returns every TUN/TAP adapter (Linux: of the network namespace).
func List() ([]Adapter, error) {
	ctx, err := newCtx()
	if err != nil {
		return nil, err
	}
	defer C.tk_ctx_free(ctx)
	var arr *C.tk_adapter_info
	var n C.size_t
	var cerr C.tk_error
	if C.tk_adapter_list(ctx, &arr, &n, &cerr) != C.TK_E_OK {
		return nil, goError(&cerr)
	}
	defer C.tk_adapter_list_free(arr)
	infos := unsafe.Slice(arr, int(n))
	out := make([]Adapter, 0, len(infos))
	for i := range infos {
		out = append(out, goAdapter(&infos[i]))
	}
	return out, nil
}

// Get returns one adapter by name (Windows: or {GUID}): ErrAdapterNotFound, ErrNotTAP.
func Get(name string) (*Adapter, error) {
	ctx, err := newCtx()
	if err != nil {
		return nil, err
	}
	defer C.tk_ctx_free(ctx)
	return getAdapter(ctx, name)
}

func getAdapter(ctx *C.tk_ctx, name string) (*Adapter, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var info C.tk_adapter_info
	var cerr C.tk_error
	if C.tk_adapter_get(ctx, cname, &info, &cerr) != C.TK_E_OK {
		return nil, goError(&cerr)
	}
	a := goAdapter(&info)
	return &a, nil
}

// CheckStatus is the result of one doctor check.
type CheckStatus int

// The results of a check.
const (
	CheckOK      CheckStatus = C.TK_CHECK_OK
	CheckWarn    CheckStatus = C.TK_CHECK_WARN
	CheckFail    CheckStatus = C.TK_CHECK_FAIL
	CheckSkipped CheckStatus = C.TK_CHECK_SKIPPED
)

// String is "ok", "warn", "fail" or "skipped".
func (s CheckStatus) String() string {
	return C.GoString(C.tk_check_status_name(C.tk_check_status(s)))
}

// Evidence is one thing a check read: "path" = "/dev/net/tun".
type Evidence struct {
	Key, Value string
}

// Check is one of the doctor's checks.
type Check struct {
	ID             string // stable: "linux.devnode", "windows.adapter.open"
	Title          string
	Object         string // the adapter or path checked, "" if global
	Status         CheckStatus
	Cause          Cause // 0 unless warn or fail
	OSKind         string
	OSCode         int64
	Summary        string // what was found
	Remedy         string // what to do; "" if ok
	SkippedBecause string // the failed check this one depends on
	Evidence       []Evidence
}

// Report is the doctor's result.
type Report struct {
	Checks                  []Check
	OK, Warn, Fail, Skipped int
	TraceID                 string
}

// Failed returns the checks that failed, in order (the first is the one to fix first).
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			out = append(out, c)
		}
	}
	return out
}

// Doctor runs the ordered checks: with adapter "" the global ones and every adapter's (no
// open); with a name, that adapter's too, including a real open. A failed check is a result in
// the report, not an error: the error is for a doctor that could not run.
func Doctor(adapter string) (*Report, error) {
	ctx, err := newCtx()
	if err != nil {
		return nil, err
	}
	defer C.tk_ctx_free(ctx)
	var opts C.tk_doctor_opts
	if adapter != "" {
		opts.adapter = C.CString(adapter)
		defer C.free(unsafe.Pointer(opts.adapter))
	}
	var rep *C.tk_report
	var cerr C.tk_error
	if C.tk_doctor_run(ctx, &opts, &rep, &cerr) != C.TK_E_OK {
		return nil, goError(&cerr)
	}
	defer C.tk_report_free(rep)
	r := &Report{
		OK: int(rep.nok), Warn: int(rep.nwarn), Fail: int(rep.nfail), Skipped: int(rep.nskipped),
		TraceID: C.GoString(&rep.trace_id[0]),
	}
	for _, c := range unsafe.Slice(rep.checks, int(rep.nchecks)) {
		gc := Check{
			ID:             C.GoString(&c.id[0]),
			Title:          C.GoString(&c.title[0]),
			Object:         C.GoString(&c.object[0]),
			Status:         CheckStatus(c.status),
			Cause:          Cause(c.cause),
			OSKind:         C.GoString(C.tk_os_kind_name(c.os_kind)),
			OSCode:         int64(c.os_code),
			Summary:        C.GoString(&c.summary[0]),
			Remedy:         C.GoString(&c.remedy[0]),
			SkippedBecause: C.GoString(&c.skipped_because[0]),
		}
		for i := 0; i < int(c.nevidence) && i < C.TK_CHECK_MAX_EVIDENCE; i++ {
			gc.Evidence = append(gc.Evidence, Evidence{
				Key: C.GoString(&c.evidence[i].key[0]), Value: C.GoString(&c.evidence[i].value[0]),
			})
		}
		r.Checks = append(r.Checks, gc)
	}
	return r, nil
}
