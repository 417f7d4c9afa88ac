// SPDX-License-Identifier: MIT

// Package tapkit makes TAP and TUN virtual network adapters just work from Go: open one as an
// io.ReadWriteCloser, list them, and ask the doctor why one does not work. It is a cgo binding
// over the tapkit C library (libtapkit, found with pkg-config).
//
// Every failure is an *Error that carries the cause (a Cause, comparable with errors.Is:
// errors.Is(err, tapkit.ErrAdapterBusy)), the operation and object, the raw OS code and the
// concrete fix; errors.Is(err, syscall.EBUSY) works too when the OS code is an errno.
package tapkit

/*
#cgo pkg-config: tapkit
#include <stdlib.h>
#include <tapkit.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Cause is why an operation failed: one of the TK_E_* values of the C library. It is an error
// itself, so errors.Is(err, tapkit.ErrAdapterBusy) matches an *Error with that cause.
type Cause int

// Name is the stable C name: "TK_E_ADAPTER_BUSY".
func (c Cause) Name() string { return C.GoString(C.tk_status_name(C.tk_status(c))) }

// Error is the cause's one-line meaning: "the adapter is in use by another process".
func (c Cause) Error() string { return C.GoString(C.tk_status_message(C.tk_status(c))) }

// String is the stable name, as Name.
func (c Cause) String() string { return c.Name() }

// Remedy is what to do about this cause in general; an *Error carries the specific fix.
func (c Cause) Remedy() string { return C.GoString(C.tk_status_remedy(C.tk_status(c))) }

// Error is one failure of the library, with everything it knows about it.
type Error struct {
	Cause      Cause  // why: errors.Is(err, tapkit.ErrAdapterBusy)
	Op         string // what was done: "TUNSETIFF", "open", "RTM_NEWADDR"
	Object     string // on what: the adapter name, a path
	Message    string // what failed, on what, why
	Remedy     string // the concrete fix
	OSKind     string // "errno", "netlink", "win32", ... ("none" without an OS code)
	OSCode     int64  // the raw OS code (an errno on Linux)
	OSName     string // "EBUSY"; "" if unknown
	OSText     string // the OS's own text (strerror, the kernel's extended ack)
	Transient  bool   // retrying the same call may succeed
	TraceID    string // the trace id on every log line the failing call caused
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

// Is lets errors.Is(err, syscall.EBUSY) match the raw errno too.
func (e *Error) Is(target error) bool {
	var errno syscall.Errno
	if errors.As(target, &errno) && (e.OSKind == "errno" || e.OSKind == "netlink") {
		return int64(errno) == e.OSCode
	}
	return false
}

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

// newCtx makes a library context (logging off). The caller frees it with C.tk_ctx_free.
func newCtx() (*C.tk_ctx, error) {
	var ctx *C.tk_ctx
	var cerr C.tk_error
	if C.tk_ctx_new(&ctx, &cerr) != C.TK_E_OK {
		return nil, goError(&cerr)
	}
	return ctx, nil
}

// Mode is TAP (Ethernet frames) or TUN (IP packets).
type Mode int

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
	Name       string
	ID         string // Linux: the ifindex as text; Windows: the {GUID}
	Index      int
	Mode       Mode
	Up         bool // administratively up
	Carrier    bool // a process has it open
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

// List returns every TUN/TAP adapter of the network namespace.
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

// Get returns one adapter by name: ErrAdapterNotFound, ErrNotTAP.
func Get(name string) (*Adapter, error) {
	ctx, err := newCtx()
	if err != nil {
		return nil, err
	}
	defer C.tk_ctx_free(ctx)
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

// OpenOptions says how to open an adapter; nil means a TAP adapter, created if absent.
type OpenOptions struct {
	TUN        bool // IP packets instead of Ethernet frames
	MultiQueue bool // attach one more queue of a multi-queue adapter
	VnetHdr    bool // frames carry a 10-byte virtio-net header
	NoCreate   bool // fail with ErrAdapterNotFound instead of creating a missing adapter
	Retry      bool // retry transient failures with the library's retry policy
}

// FrameBufMax is a read buffer size that holds any frame (TK_FRAME_BUF_MAX).
const FrameBufMax = C.TK_FRAME_BUF_MAX

// Device is an open adapter: each Read returns one frame, each Write sends one. Read and Write
// wait in Go's poller, so Close from another goroutine ends a blocked Read (os.ErrClosed).
type Device struct {
	mu      sync.RWMutex // held shared around each C call, exclusively to close
	ctx     *C.tk_ctx
	dev     *C.tk_dev
	poll    *os.File // a dup of the adapter's fd, for the poller only
	raw     syscall.RawConn
	name    string
	closed  bool
	closing atomic.Bool // set before the poller's file is closed: its errors mean "closed"
}

var _ io.ReadWriteCloser = (*Device)(nil)

// Open opens the adapter name for frame I/O. On Linux an absent adapter is created and goes
// away on Close, unless opts.NoCreate. name "" lets the kernel pick one (tapN).
func Open(name string, opts *OpenOptions) (*Device, error) {
	if opts == nil {
		opts = &OpenOptions{}
	}
	ctx, err := newCtx()
	if err != nil {
		return nil, err
	}
	var copts C.tk_open_opts
	if name != "" {
		copts.name = C.CString(name)
		defer C.free(unsafe.Pointer(copts.name))
	}
	copts.mode = C.TK_MODE_TAP
	if opts.TUN {
		copts.mode = C.TK_MODE_TUN
	}
	flags := C.uint32_t(C.TK_OPEN_NONBLOCK)
	if opts.MultiQueue {
		flags |= C.TK_OPEN_MULTI_QUEUE
	}
	if opts.VnetHdr {
		flags |= C.TK_OPEN_VNET_HDR
	}
	if opts.NoCreate {
		flags |= C.TK_OPEN_NO_CREATE
	}
	if opts.Retry {
		flags |= C.TK_OPEN_RETRY
	}
	copts.flags = flags
	var dev *C.tk_dev
	var cerr C.tk_error
	if C.tk_dev_open(ctx, &copts, &dev, &cerr) != C.TK_E_OK {
		C.tk_ctx_free(ctx)
		return nil, goError(&cerr)
	}
	d := &Device{ctx: ctx, dev: dev, name: C.GoString(C.tk_dev_name(dev))}
	fd, derr := syscall.Dup(int(C.tk_dev_handle(dev)))
	if derr == nil {
		// os.NewFile registers a non-blocking fd with the poller (the dup shares the
		// open file description, so it is non-blocking already; this makes sure).
		if derr = syscall.SetNonblock(fd, true); derr != nil {
			syscall.Close(fd)
		} else {
			d.poll = os.NewFile(uintptr(fd), "tapkit:"+d.name)
			d.raw, derr = d.poll.SyscallConn()
		}
	}
	if derr != nil {
		d.Close()
		return nil, fmt.Errorf("tapkit: poll %s: %w", d.name, derr)
	}
	return d, nil
}

// Name is the adapter's name as the OS reports it.
func (d *Device) Name() string { return d.name }

// io runs one non-blocking C call per readiness, waiting in the poller while it says AGAIN.
func (d *Device) io(wait func(func(uintptr) bool) error, call func(*C.tk_error) C.tk_status) error {
	var result error
	werr := wait(func(uintptr) bool {
		d.mu.RLock()
		defer d.mu.RUnlock()
		if d.closed {
			result = os.ErrClosed
			return true
		}
		var cerr C.tk_error
		st := call(&cerr)
		if st == C.TK_E_AGAIN || st == C.TK_E_INTERRUPTED {
			return false
		}
		result = goError(&cerr)
		return true
	})
	if werr == nil {
		return result
	}
	if d.closing.Load() {
		return os.ErrClosed
	}
	// The poller ends the wait on EPOLLERR ("not pollable"), which is what a deleted adapter
	// raises: one more call lets the library say what happened (TK_E_DEVICE_VANISHED).
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return os.ErrClosed
	}
	var cerr C.tk_error
	switch st := call(&cerr); st {
	case C.TK_E_OK:
		return nil
	case C.TK_E_AGAIN, C.TK_E_INTERRUPTED:
		return werr
	default:
		return goError(&cerr)
	}
}

// Read reads one frame into p (use FrameBufMax, or at least MTU + 14: the OS cuts longer frames
// silently). ErrDeviceVanished when the adapter was deleted.
func (d *Device) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n C.size_t
	err := d.io(d.raw.Read, func(cerr *C.tk_error) C.tk_status {
		return C.tk_dev_read(d.dev, unsafe.Pointer(&p[0]), C.size_t(len(p)), &n, cerr)
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// Write sends one frame (or packet, for TUN). ErrLinkDown when the adapter is down.
func (d *Device) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	err := d.io(d.raw.Write, func(cerr *C.tk_error) C.tk_status {
		return C.tk_dev_write(d.dev, unsafe.Pointer(&p[0]), C.size_t(len(p)), cerr)
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes the adapter (a temporary one goes away); a blocked Read returns os.ErrClosed.
func (d *Device) Close() error {
	d.closing.Store(true)
	if d.poll != nil {
		d.poll.Close() // wakes Read/Write waiting in the poller
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return os.ErrClosed
	}
	d.closed = true
	C.tk_dev_close(d.dev)
	C.tk_ctx_free(d.ctx)
	return nil
}

// CheckStatus is the result of one doctor check.
type CheckStatus int

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
	ID             string // stable: "linux.devnode", "linux.adapter.open"
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
