// SPDX-License-Identifier: MIT

//go:build cgo

package tapkit

/*
#include "tapkit_go.h"
*/
import "C"

import (
	"context"
	"errors"
	"io"
	"math/rand"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// OpenOptions says how to open an adapter; nil means a TAP adapter, created if absent (Linux)
// and gone again on Close.
type OpenOptions struct {
	TUN        bool // IP packets instead of Ethernet frames
	MultiQueue bool // Linux: attach one more queue of a multi-queue adapter
	VnetHdr    bool // Linux: frames carry a 10-byte virtio-net header (ReadBatch, SetOffload)
	NoCreate   bool // Linux: fail with ErrAdapterNotFound instead of creating a missing adapter
	// Linux: an adapter Open creates outlives Close (SetPersist changes it later). On Windows
	// adapters always persist.
	Persist bool
	// Linux: the uid and gid allowed to open an adapter Open creates without CAP_NET_ADMIN
	// (0 or -1: none). An existing adapter keeps its owner and group.
	Owner, Group int
	// Retry transient failures (ErrAdapterBusy while the previous holder closes, ...) with
	// the library's policy: 4 attempts, full-jitter backoff from 50 ms, 10 s in all. The
	// context of OpenContext cancels the wait between attempts.
	Retry bool
}

// FrameBufMax is a read buffer size that holds any frame (TK_FRAME_BUF_MAX), vnet header and
// offloaded super-frames included.
const FrameBufMax = C.TK_FRAME_BUF_MAX

// VnetHdrLen is the size of the virtio-net header that precedes each frame with VnetHdr.
const VnetHdrLen = C.TK_VNET_HDR_LEN

// Device is an open adapter: each Read returns one frame, each Write sends one. One goroutine
// may read while another writes; Close from any goroutine ends a blocked Read or Write
// (os.ErrClosed), and the deadlines end them with os.ErrDeadlineExceeded. Reads and writes
// allocate nothing in the steady state.
type Device struct {
	mu      sync.RWMutex // held shared around each C call, exclusively to close
	rmu     sync.Mutex   // one Read (ReadBatch) at a time: they share s.rerr and s.rlen
	wmu     sync.Mutex   // one Write (WriteBatch) at a time: s.werr
	cmu     sync.Mutex   // one control call at a time: s.cerr
	ctx     *C.tk_ctx
	dev     *C.tk_dev
	devp    unsafe.Pointer   // dev for the frame calls (tapkit_go.h says why)
	s       *C.tk_go_scratch // C memory, freed on Close
	name    string
	mode    Mode
	closed  bool
	closing atomic.Bool // set before a blocked call is woken: its errors then mean "closed"
	devOS               // the system's part: device_linux.go, device_windows.go
}

var _ io.ReadWriteCloser = (*Device)(nil)

// Open opens the adapter name for frame I/O, as OpenContext with context.Background().
func Open(name string, opts *OpenOptions) (*Device, error) {
	return OpenContext(context.Background(), name, opts)
}

// OpenContext opens the adapter name for frame I/O. Linux: name is the interface name; an
// absent adapter is created (it goes away on Close unless opts.Persist), unless opts.NoCreate;
// "" lets the kernel pick a name (tapN). Windows: name is the connection name or the {GUID};
// "" takes the first free adapter. ctx cancels the waits between attempts of opts.Retry; the
// error then unwraps to ctx.Err() and still matches the last attempt's cause with errors.Is.
func OpenContext(ctx context.Context, name string, opts *OpenOptions) (*Device, error) {
	if opts == nil {
		opts = &OpenOptions{}
	}
	cctx, err := newCtx()
	if err != nil {
		return nil, err
	}
	d, err := open(ctx, cctx, name, opts)
	if err != nil {
		C.tk_ctx_free(cctx)
		return nil, err
	}
	return d, nil
}

func open(ctx context.Context, cctx *C.tk_ctx, name string, opts *OpenOptions) (*Device, error) {
	mode := C.tk_mode(C.TK_MODE_TAP)
	if opts.TUN {
		mode = C.TK_MODE_TUN
	}
	var cname *C.char
	if name != "" {
		cname = C.CString(name)
		defer C.free(unsafe.Pointer(cname))
	}
	if runtime.GOOS == "windows" && (opts.Owner > 0 || opts.Group > 0) {
		return nil, &Error{Cause: ErrUnsupported, Op: "open", Object: name, OSKind: "none",
			Message: "TAP-Windows adapters have no owner or group (who may open one is the " +
				"adapter's AllowNonAdmin setting)",
			Remedy: "leave OpenOptions.Owner and Group zero on Windows"}
	}
	created := false
	if runtime.GOOS == "linux" && name != "" && !opts.NoCreate &&
		(opts.Persist || opts.Owner > 0 || opts.Group > 0) {
		var err error
		if created, err = createIfMissing(cctx, cname, name, mode, opts); err != nil {
			return nil, err
		}
	}
	copts := C.tk_open_opts{name: cname, mode: mode, flags: C.TK_OPEN_NONBLOCK}
	if opts.MultiQueue {
		copts.flags |= C.TK_OPEN_MULTI_QUEUE
	}
	if opts.VnetHdr {
		copts.flags |= C.TK_OPEN_VNET_HDR
	}
	if opts.NoCreate || created {
		copts.flags |= C.TK_OPEN_NO_CREATE
	}
	dev, err := openRetry(ctx, cctx, &copts, opts.Retry)
	if err != nil {
		if created {
			var cerr C.tk_error
			_ = C.tk_adapter_delete(cctx, cname, &cerr)
		}
		return nil, err
	}
	d := &Device{ctx: cctx, dev: dev, devp: unsafe.Pointer(dev), name: C.GoString(C.tk_dev_name(dev)),
		mode: Mode(mode)}
	d.s = (*C.tk_go_scratch)(C.calloc(1, C.sizeof_tk_go_scratch))
	if d.s == nil {
		C.tk_dev_close(dev)
		return nil, &Error{Cause: ErrNoMemory, Op: "open", Object: d.name,
			Message: "cannot allocate the device's scratch memory", OSKind: "none"}
	}
	if created && !opts.Persist {
		// Created persistent for its owner/group; it goes away with this handle after all.
		if C.tk_dev_set_persist(dev, false, &d.s.cerr) != C.TK_E_OK {
			err := goError(&d.s.cerr)
			d.release()
			return nil, err
		}
	}
	if err := d.osInit(); err != nil {
		d.release()
		return nil, err
	}
	return d, nil
}

// createIfMissing creates name as a persistent adapter with opts' owner and group, unless it
// exists: then Open attaches to it as it is.
func createIfMissing(cctx *C.tk_ctx, cname *C.char, name string, mode C.tk_mode,
	opts *OpenOptions) (bool, error) {
	if _, err := getAdapter(cctx, name); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrAdapterNotFound) {
		return false, err
	}
	co := C.tk_create_opts{name: cname, mode: mode, owner: C.int64_t(opts.Owner),
		group: C.int64_t(opts.Group)}
	if opts.MultiQueue {
		co.flags |= C.TK_CREATE_MULTI_QUEUE
	}
	if opts.VnetHdr {
		co.flags |= C.TK_CREATE_VNET_HDR
	}
	var cerr C.tk_error
	if C.tk_adapter_create(cctx, &co, nil, &cerr) != C.TK_E_OK {
		if cerr.status == C.TK_E_EXISTS { // created by someone else in between
			return false, nil
		}
		return false, goError(&cerr)
	}
	return true, nil
}

// openRetry opens once, or with the context's retry policy (the C library's formula) waiting
// in Go between attempts, so ctx cancels the wait. All attempts share one trace id.
func openRetry(ctx context.Context, cctx *C.tk_ctx, copts *C.tk_open_opts, retry bool) (*C.tk_dev, error) {
	var dev *C.tk_dev
	var cerr C.tk_error
	if !retry {
		if C.tk_dev_open(cctx, copts, &dev, &cerr) != C.TK_E_OK {
			return nil, goError(&cerr)
		}
		return dev, nil
	}
	runtime.LockOSThread() // the trace is per thread
	defer runtime.UnlockOSThread()
	C.tk_trace_begin(cctx, nil, nil, 0)
	defer C.tk_trace_end(cctx)
	var policy C.tk_retry_policy
	C.tk_ctx_get_retry(cctx, &policy)
	attempts := int(policy.attempts)
	if attempts == 0 {
		attempts = 4
	}
	budget := time.Duration(policy.deadline_ms) * time.Millisecond
	if budget == 0 {
		budget = 10 * time.Second
	}
	start := time.Now()
	for n := 1; ; n++ {
		if C.tk_dev_open(cctx, copts, &dev, &cerr) == C.TK_E_OK {
			return dev, nil
		}
		last := goError(&cerr)
		if !bool(cerr.transient) || n >= attempts {
			return nil, last
		}
		ceiling := time.Duration(C.tk_retry_ceiling_ms(&policy, C.uint32_t(n))) * time.Millisecond
		delay := time.Duration(rand.Int63n(int64(ceiling) + 1))
		if time.Since(start)+delay > budget {
			return nil, last
		}
		logRetry(cctx, n, delay, last)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &canceledError{ctxErr: ctx.Err(), last: last}
		case <-t.C:
		}
	}
}

func logRetry(cctx *C.tk_ctx, n int, delay time.Duration, last error) {
	msg := C.CString("open: attempt " + itoa(n) + " failed (" + last.Error() + "); retrying in " +
		delay.Round(time.Millisecond).String())
	sub := C.CString("core.retry")
	C.tk_log(cctx, C.TK_LOG_WARN, sub, nil, 0, msg)
	C.free(unsafe.Pointer(msg))
	C.free(unsafe.Pointer(sub))
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// release frees what Open made, on a Device never handed out.
func (d *Device) release() {
	C.tk_dev_close(d.dev)
	C.free(unsafe.Pointer(d.s))
	C.tk_ctx_free(d.ctx)
}

// Name is the adapter's name as the OS reports it (Windows: the connection name).
func (d *Device) Name() string { return d.name }

// Mode is TAP or TUN, as opened.
func (d *Device) Mode() Mode { return d.mode }

// Close closes the adapter (a temporary one goes away); a blocked Read or Write returns
// os.ErrClosed. A second Close returns os.ErrClosed.
func (d *Device) Close() error {
	d.closing.Store(true)
	d.wakeAll()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return os.ErrClosed
	}
	d.closed = true
	d.osClose()
	C.tk_dev_close(d.dev)
	C.free(unsafe.Pointer(d.s))
	C.tk_ctx_free(d.ctx)
	return nil
}

// SetDeadline sets the read and write deadlines (zero: none), as net.Conn's: a Read or Write
// blocked past it, or started after it, fails with os.ErrDeadlineExceeded.
func (d *Device) SetDeadline(t time.Time) error {
	if err := d.SetReadDeadline(t); err != nil {
		return err
	}
	return d.SetWriteDeadline(t)
}

// ReadBatch reads up to len(bufs) frames: it waits for the first (as Read), then takes those
// already queued without waiting. sizes[i] gets the length of bufs[i]'s frame; n is how many
// were read. For VnetHdr users each frame starts with its 10-byte virtio-net header. An error
// after the first frame ends the batch early and is not returned (the next Read reports it).
func (d *Device) ReadBatch(bufs [][]byte, sizes []int) (int, error) {
	if len(sizes) < len(bufs) {
		bufs = bufs[:len(sizes)]
	}
	if len(bufs) == 0 {
		return 0, nil
	}
	d.rmu.Lock()
	defer d.rmu.Unlock()
	m, err := d.readLocked(bufs[0])
	if err != nil {
		return 0, err
	}
	sizes[0] = m
	n := 1
	d.mu.RLock()
	defer d.mu.RUnlock()
	for ; n < len(bufs) && !d.closed && len(bufs[n]) > 0; n++ {
		if C.tk_go_read(d.devp, unsafe.Pointer(&bufs[n][0]), C.size_t(len(bufs[n])), d.s) != C.TK_E_OK {
			break
		}
		sizes[n] = int(d.s.rlen)
	}
	return n, nil
}

// WriteBatch writes the frames in order (each with its virtio-net header for VnetHdr users) and
// returns how many were sent; the error is the first failure's.
func (d *Device) WriteBatch(frames [][]byte) (int, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	for i, f := range frames {
		if _, err := d.writeLocked(f); err != nil {
			return i, err
		}
	}
	return len(frames), nil
}

// Read reads one frame into p (use FrameBufMax, or at least MTU + 14 plus the vnet header: the
// OS cuts longer frames). ErrDeviceVanished when the adapter was deleted, os.ErrClosed after
// Close, os.ErrDeadlineExceeded past the read deadline.
func (d *Device) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	d.rmu.Lock()
	n, err := d.readLocked(p)
	d.rmu.Unlock()
	return n, err
}

// Write sends one frame (or packet, for TUN). ErrLinkDown when the adapter is down.
func (d *Device) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	d.wmu.Lock()
	n, err := d.writeLocked(p)
	d.wmu.Unlock()
	return n, err
}

// control runs one control call on the open device under the control lock.
func (d *Device) control(call func(*C.tk_error) C.tk_status) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return os.ErrClosed
	}
	d.cmu.Lock()
	defer d.cmu.Unlock()
	if call(&d.s.cerr) != C.TK_E_OK {
		return goError(&d.s.cerr)
	}
	return nil
}

// byName runs one call on the adapter by its name, with the device's context.
func (d *Device) byName(call func(*C.tk_ctx, *C.char, *C.tk_error) C.tk_status) error {
	cname := C.CString(d.name)
	defer C.free(unsafe.Pointer(cname))
	return d.control(func(cerr *C.tk_error) C.tk_status { return call(d.ctx, cname, cerr) })
}

// Info is what the OS knows about the adapter now (MTU, MAC, addresses, holders...).
func (d *Device) Info() (*Adapter, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, os.ErrClosed
	}
	return getAdapter(d.ctx, d.name)
}

// MTU is the adapter's MTU.
func (d *Device) MTU() (int, error) {
	a, err := d.Info()
	if err != nil {
		return 0, err
	}
	return a.MTU, nil
}

// SetMTU sets the adapter's MTU (Windows: of its IP interfaces, IPv4 and IPv6).
func (d *Device) SetMTU(mtu int) error {
	return d.byName(func(c *C.tk_ctx, n *C.char, e *C.tk_error) C.tk_status {
		return C.tk_adapter_set_mtu(c, n, C.uint32_t(mtu), e)
	})
}

// Up sets the adapter administratively up (Windows: enables its device; elevated).
func (d *Device) Up() error { return d.setUp(true) }

// Down sets the adapter administratively down.
func (d *Device) Down() error { return d.setUp(false) }

func (d *Device) setUp(up bool) error {
	return d.byName(func(c *C.tk_ctx, n *C.char, e *C.tk_error) C.tk_status {
		return C.tk_adapter_set_up(c, n, C.bool(up), e)
	})
}

func cAddr(p netip.Prefix) (C.tk_ip_addr, bool) {
	var a C.tk_ip_addr
	if !p.IsValid() {
		return a, false
	}
	ip := p.Addr()
	a.prefix = C.uint8_t(p.Bits())
	if ip.Is4() {
		a.family = 4
		b := ip.As4()
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&a.bytes[0])), 4), b[:])
	} else {
		a.family = 6
		b := ip.As16()
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&a.bytes[0])), 16), b[:])
	}
	return a, true
}

func badPrefix(d *Device, op string, p netip.Prefix) error {
	return &Error{Cause: ErrAddressInvalid, Op: op, Object: d.name, OSKind: "none",
		Message: "the prefix " + p.String() + " is not a valid address/length",
		Remedy:  "pass netip.MustParsePrefix(\"10.0.0.1/24\") or a prefix from netip.ParsePrefix"}
}

// AddAddress adds an IPv4 or IPv6 address with its prefix length (10.0.0.1/24).
func (d *Device) AddAddress(p netip.Prefix) error {
	a, ok := cAddr(p)
	if !ok {
		return badPrefix(d, "add address", p)
	}
	return d.byName(func(c *C.tk_ctx, n *C.char, e *C.tk_error) C.tk_status {
		return C.tk_adapter_addr_add(c, n, &a, e)
	})
}

// DelAddress removes an address AddAddress added.
func (d *Device) DelAddress(p netip.Prefix) error {
	a, ok := cAddr(p)
	if !ok {
		return badPrefix(d, "delete address", p)
	}
	return d.byName(func(c *C.tk_ctx, n *C.char, e *C.tk_error) C.tk_status {
		return C.tk_adapter_addr_del(c, n, &a, e)
	})
}

// MAC is the adapter's Ethernet address (nil for TUN).
func (d *Device) MAC() (net.HardwareAddr, error) {
	a, err := d.Info()
	if err != nil {
		return nil, err
	}
	return a.MAC, nil
}

// SetMAC sets the adapter's Ethernet address (a unicast one; Windows: locally administered,
// and the adapter restarts).
func (d *Device) SetMAC(mac net.HardwareAddr) error {
	if len(mac) != C.TK_MAC_LEN {
		return &Error{Cause: ErrAddressInvalid, Op: "set mac", Object: d.name, OSKind: "none",
			Message: "a MAC address has 6 bytes, this one " + itoa(len(mac)),
			Remedy:  "pass a 6-byte address (net.ParseMAC(\"02:00:00:00:00:01\"))"}
	}
	var m [C.TK_MAC_LEN]C.uint8_t
	for i := range m {
		m[i] = C.uint8_t(mac[i])
	}
	return d.byName(func(c *C.tk_ctx, n *C.char, e *C.tk_error) C.tk_status {
		return C.tk_adapter_set_mac(c, n, &m[0], e)
	})
}

// Offload is a set of offloads for SetOffload.
type Offload uint32

// The offloads (Linux TUN_F_*); they need VnetHdr.
const (
	OffloadCsum Offload = C.TK_OFFLOAD_CSUM
	OffloadTSO4 Offload = C.TK_OFFLOAD_TSO4
	OffloadTSO6 Offload = C.TK_OFFLOAD_TSO6
	OffloadECN  Offload = C.TK_OFFLOAD_ECN
	OffloadUSO4 Offload = C.TK_OFFLOAD_USO4
	OffloadUSO6 Offload = C.TK_OFFLOAD_USO6
)

// SetOffload enables offloads (0 turns them off): the kernel may then hand over and accept
// super-frames with partial checksums, described by the virtio-net header. Needs VnetHdr;
// ErrUnsupported on Windows.
func (d *Device) SetOffload(o Offload) error {
	return d.control(func(e *C.tk_error) C.tk_status {
		return C.tk_dev_set_offload(d.dev, C.uint32_t(o), e)
	})
}

// SetPersist makes the adapter outlive Close (or not: then it goes away with the last handle).
// Windows adapters always persist: SetPersist(false) is ErrUnsupported there.
func (d *Device) SetPersist(on bool) error {
	return d.control(func(e *C.tk_error) C.tk_status {
		return C.tk_dev_set_persist(d.dev, C.bool(on), e)
	})
}

// SetCarrier turns the carrier on or off (Windows: the media status connected/disconnected).
func (d *Device) SetCarrier(on bool) error {
	return d.control(func(e *C.tk_error) C.tk_status {
		return C.tk_dev_set_carrier(d.dev, C.bool(on), e)
	})
}
