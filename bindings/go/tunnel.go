// SPDX-License-Identifier: MIT

//go:build cgo

package tapkit

/*
#include "tapkit_go.h"
*/
import "C"

import (
	"context"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Tunnel is a running L2 tunnel (VXLAN, or sealed): the engine of `tapkit tunnel run` in this
// process. NewTunnel opens (creating it if missing) and configures the adapter and binds the UDP
// socket; Run (or Dispatch in a loop) forwards frames; Stats, Reload and Close may be called from
// any goroutine meanwhile. The same API on Linux and Windows.
//
// The engine wants one thread per tunnel (its cipher contexts are per thread) and works in the
// network namespace it was created in, so each Tunnel has a goroutine of its own locked to an
// OS thread, from NewTunnel to Close: it enters the network namespace of the thread that called
// NewTunnel, and every call on the engine (run, stats, reload, free) is made there. Run and
// Dispatch wait on the engine's handle and a wake-up of the binding, so Stats and Reload are
// served between events without stopping the tunnel.
//
// On Windows: plain mode, sealed where the library's build has it (docs/windows.md); the
// adapter is an existing TAP-Windows6 one (connection name or {GUID}: Windows tunnels create
// none) and there are no network namespaces (the tunnel uses the host's stack, whatever thread
// calls NewTunnel). The tunnel's thread waits inside the engine's dispatch, which the binding
// wakes through the engine's event (tk_tunnel_handle), so Close, a cancelled Run, Stats and
// Reload are served at once there too.
type Tunnel struct {
	name    string
	mu      sync.Mutex // guards queue, closed, driving and os's wake-up
	queue   []*tunnelReq
	closed  bool
	driving bool          // a Run or Dispatch is in progress
	done    chan struct{} // closed when the thread has freed the tunnel
	os      tunnelOS
	// the tunnel's thread alone
	t    *C.tk_tunnel
	ctx  *C.tk_ctx
	werr *C.tk_error // C memory: a wake-up allocates nothing
}

type tunnelReqKind int

const (
	reqDrive tunnelReqKind = iota
	reqStats
	reqReload
)

type tunnelReq struct {
	kind     tunnelReqKind
	once     bool      // Dispatch: return after handling events
	deadline time.Time // Dispatch: zero waits without limit
	cancel   atomic.Bool
	recipe   tunnelRecipe
	stats    *TunnelStats
	err      error
	done     chan struct{}
}

// NewTunnel starts a tunnel from cfg (checked first: ErrConfig), in the network namespace of
// the calling thread (a goroutine that called runtime.LockOSThread and entered another namespace
// gets its tunnel there; Windows has no namespaces). The tunnel forwards nothing until Run or
// Dispatch; Close ends it.
func NewTunnel(cfg *TunnelConfig) (*Tunnel, error) {
	if cfg == nil {
		return nil, &Error{Cause: ErrBadArgument, Op: "tunnel", Object: "config", OSKind: "none",
			Message: "the configuration is nil",
			Remedy:  "pass a *TunnelConfig from ParseTunnelConfig or LoadTunnelConfig, or one built with Set and AddPeer"}
	}
	ns, err := callerNetns()
	if err != nil {
		return nil, err
	}
	t := &Tunnel{done: make(chan struct{})}
	started := make(chan error, 1)
	go t.own(cfg.recipe(), ns, started)
	if err := <-started; err != nil {
		return nil, err
	}
	return t, nil
}

// own is the tunnel's goroutine. It never unlocks its thread: the thread may be in another
// network namespace, and ends with the goroutine.
func (t *Tunnel) own(r tunnelRecipe, ns tunnelNetns, started chan<- error) {
	runtime.LockOSThread()
	defer close(t.done)
	err := t.start(r, ns)
	started <- err
	if err == nil {
		t.serve()
	}
	t.release()
}

func (t *Tunnel) start(r tunnelRecipe, ns tunnelNetns) error {
	if err := ns.enter(); err != nil {
		return err
	}
	var err error
	if t.os, err = newTunnelOS(); err != nil {
		return err
	}
	if t.werr = (*C.tk_error)(C.calloc(1, C.sizeof_tk_error)); t.werr == nil {
		return &Error{Cause: ErrNoMemory, Op: "tunnel", Object: "scratch", OSKind: "none",
			Message: "cannot allocate the tunnel's error buffer", Remedy: ErrNoMemory.Remedy()}
	}
	// the context here: its netlink socket is made in the tunnel's namespace
	if t.ctx, err = newCtx(); err != nil {
		return err
	}
	c, err := r.build(t.ctx)
	if err != nil {
		return err
	}
	t.name = C.GoString(C.tk_tunnel_config_name(c))
	var cerr C.tk_error
	if C.tk_tunnel_new(t.ctx, c, &t.t, &cerr) != C.TK_E_OK { // takes c
		return goError(&cerr)
	}
	t.os.attach(t.t)
	return nil
}

// release frees the tunnel on its thread (the adapter it created goes away) and fails what is
// still queued.
func (t *Tunnel) release() {
	t.mu.Lock()
	t.closed = true
	left := t.queue
	t.queue = nil
	t.os.close() // first: on Windows the wake-up is the engine's, freed with the tunnel
	t.mu.Unlock()
	C.tk_tunnel_free(t.t) // NULL is fine
	t.t = nil
	if t.ctx != nil {
		C.tk_ctx_free(t.ctx)
	}
	C.free(unsafe.Pointer(t.werr))
	for _, r := range left {
		r.err = os.ErrClosed
		close(r.done)
	}
}

// serve waits for requests until Close.
func (t *Tunnel) serve() {
	for {
		reqs, closed := t.take()
		for _, r := range reqs {
			t.handle(r)
		}
		if closed {
			return
		}
		if len(reqs) > 0 {
			continue // a Run or Dispatch may have consumed the wake-up of what came meanwhile
		}
		if _, _, err := t.os.wait(nil, -1, t.werr); err != nil {
			time.Sleep(10 * time.Millisecond) // poll(2) on a wake-up fd: ENOMEM at worst
		}
	}
}

func (t *Tunnel) take() ([]*tunnelReq, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	reqs := t.queue
	t.queue = nil
	return reqs, t.closed
}

func (t *Tunnel) handle(r *tunnelReq) {
	switch r.kind {
	case reqDrive:
		r.err = t.drive(r)
		t.mu.Lock()
		t.driving = false
		t.mu.Unlock()
	case reqStats:
		r.stats, r.err = t.stats()
	case reqReload:
		r.err = t.reload(r.recipe)
	}
	close(r.done)
}

// drive forwards until r is cancelled (Run's context), Close, a fatal failure, or for Dispatch
// the first events handled or the deadline. Requests are served between events.
func (t *Tunnel) drive(r *tunnelReq) error {
	for !r.cancel.Load() {
		ms := -1
		if !r.deadline.IsZero() {
			left := time.Until(r.deadline)
			ms = int((left + time.Millisecond - 1) / time.Millisecond)
			if ms < 0 {
				ms = 0
			}
		}
		woken, dispatched, err := t.os.wait(t.t, ms, t.werr)
		if err != nil {
			return err
		}
		if dispatched {
			switch t.werr.status {
			case C.TK_E_OK:
				if r.once {
					return nil
				}
			case C.TK_E_TIMEOUT, C.TK_E_INTERRUPTED: // nothing after all; carry on
			default:
				return goError(t.werr) // the engine cannot carry on
			}
		}
		if woken {
			reqs, closed := t.take()
			for _, q := range reqs {
				t.handle(q) // never a drive: submit refuses a second one
			}
			if closed {
				if r.once {
					return os.ErrClosed
				}
				return nil
			}
		}
		if !r.deadline.IsZero() && !time.Now().Before(r.deadline) {
			return os.ErrDeadlineExceeded
		}
	}
	return nil
}

func (t *Tunnel) submit(r *tunnelReq) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return os.ErrClosed
	}
	if r.kind == reqDrive {
		if t.driving {
			return &Error{Cause: ErrBadArgument, Op: "run", Object: t.name, OSKind: "none",
				Message: "the tunnel is already driven by a Run or Dispatch in another goroutine",
				Remedy:  "drive a tunnel from one goroutine: one Run, or Dispatch in one loop"}
		}
		t.driving = true
	}
	t.queue = append(t.queue, r)
	t.os.signal()
	return nil
}

// call runs r on the tunnel's thread and waits for it.
func (t *Tunnel) call(r *tunnelReq) error {
	r.done = make(chan struct{})
	if err := t.submit(r); err != nil {
		return err
	}
	<-r.done
	return r.err
}

// Name is the tunnel's adapter.
func (t *Tunnel) Name() string { return t.name }

// Run forwards frames until ctx is done (it returns ctx.Err()), Close (nil), or a failure the
// engine cannot carry on after (an *Error: exit, or make a new Tunnel). Stats and Reload are
// served meanwhile. A tunnel is driven by one Run (or Dispatch) at a time: a second one fails
// with ErrBadArgument. After ctx is done the tunnel is still there, forwarding nothing: Run
// again continues.
func (t *Tunnel) Run(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &tunnelReq{kind: reqDrive, done: make(chan struct{})}
	if err := t.submit(r); err != nil {
		return err
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
	}
	r.cancel.Store(true)
	t.mu.Lock()
	t.os.signal()
	t.mu.Unlock()
	<-r.done
	if r.err != nil {
		return r.err
	}
	return ctx.Err()
}

// Dispatch is Run for a program with its own loop: it waits up to timeout for work (0: does not
// wait; negative: without limit) and handles what is ready. nil after handling events,
// os.ErrDeadlineExceeded when none came, os.ErrClosed after Close, an *Error for a failure the
// engine cannot carry on after. Stats and Reload are served while it waits. Each call is handed
// to the tunnel's thread and back (a request and two goroutine switches): for throughput and
// latency prefer Run (ping through two tunnels: 1.3 ms with a Dispatch loop on one side, 0.5 ms
// with Run on both, README.md).
func (t *Tunnel) Dispatch(timeout time.Duration) error {
	r := &tunnelReq{kind: reqDrive, once: true}
	if timeout >= 0 {
		r.deadline = time.Now().Add(timeout)
	}
	return t.call(r)
}

// Stats is a copy of the tunnel's state and counters.
func (t *Tunnel) Stats() (*TunnelStats, error) {
	r := &tunnelReq{kind: reqStats}
	if err := t.call(r); err != nil {
		return nil, err
	}
	return r.stats, nil
}

// Reload replaces the configuration: peers that stay keep their state, addresses and MTU are
// synchronised, the socket is rebound if the listen address changed. Name, ControlSocket and
// User cannot change (ErrConfig). On failure the running configuration stays.
func (t *Tunnel) Reload(cfg *TunnelConfig) error {
	if cfg == nil {
		return &Error{Cause: ErrBadArgument, Op: "reload", Object: t.name, OSKind: "none",
			Message: "the configuration is nil", Remedy: "pass the changed *TunnelConfig"}
	}
	return t.call(&tunnelReq{kind: reqReload, recipe: cfg.recipe()})
}

// Close stops the tunnel and frees it (an adapter it created goes away) before it returns; a
// Run in progress returns nil, a Dispatch os.ErrClosed. A second Close returns os.ErrClosed,
// as do the other methods after Close.
func (t *Tunnel) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		<-t.done
		return os.ErrClosed
	}
	t.closed = true
	t.os.signal()
	t.mu.Unlock()
	<-t.done
	return nil
}

func (t *Tunnel) stats() (*TunnelStats, error) {
	var snap *C.tk_tunnel_snapshot
	var cerr C.tk_error
	if C.tk_tunnel_stats(t.t, &snap, &cerr) != C.TK_E_OK {
		return nil, goError(&cerr)
	}
	defer C.tk_tunnel_snapshot_free(snap)
	return goTunnelStats(snap), nil
}

func (t *Tunnel) reload(r tunnelRecipe) error {
	c, err := r.build(t.ctx)
	if err != nil {
		return err
	}
	var cerr C.tk_error
	if C.tk_tunnel_reload(t.t, c, &cerr) != C.TK_E_OK { // takes c
		return goError(&cerr)
	}
	return nil
}

// TunnelStats is a copy of a tunnel's state (tk_tunnel_snapshot; `tapkit tunnel status` shows
// the same).
type TunnelStats struct {
	Version        int            // TK_TUNNEL_SNAPSHOT_VERSION of the engine
	Adapter        string         // as configured
	AdapterOpen    bool           // false while a vanished adapter is being reopened
	Mode           string         // "plain" or "sealed"
	VNI            uint32         //
	MTU            int            //
	Forward        bool           // frames are switched between peers (a hub)
	Listen         netip.AddrPort // the bound UDP address
	Config         string         // the configuration's file ("<string>" parsed, "" built)
	PublicKey      string         // ours, "" without a key
	Started, Time  time.Time      // when the tunnel started; when this copy was taken
	AdapterReopens uint64
	Reloads        uint64
	ReloadFailures uint64
	Drops          map[string]uint64 // by reason (TunnelDropReasons), every reason present
	Peers          []TunnelPeerStats // in the configuration's order
	MACTable       TunnelMACTable
}

// TunnelPeerStats is one peer's state.
type TunnelPeerStats struct {
	Endpoint    netip.AddrPort
	PublicKey   string // "" in plain mode
	AllowedMACs []net.HardwareAddr
	RxFrames    uint64 // accepted from the peer
	RxBytes     uint64
	TxFrames    uint64 // datagrams handed to the socket for it
	TxBytes     uint64
	LastSeen    time.Time // the last datagram accepted; zero: never
	Sessions    uint64    // sealed: handshakes completed with the peer
	Drops       map[string]uint64
	// Sealed mode (v2): the handshakes completed (either side), when the last one was,
	// the keepalives received and authenticated, and where datagrams go now (the source
	// of the peer's last authenticated datagram; the configured endpoint until then).
	Handshakes      uint64
	LastHandshake   time.Time // zero: never
	KeepalivesRx    uint64
	CurrentEndpoint netip.AddrPort
}

// TunnelMACTable is the learning switch's table.
type TunnelMACTable struct {
	Count, Capacity int
	Age             time.Duration // how long an entry lives unseen (MACAge)
	Evictions       uint64
	Entries         []TunnelMAC // newest first
}

// TunnelLocal is TunnelMAC.Peer for a MAC learned behind the tunnel's own adapter.
const TunnelLocal = C.TK_TUNNEL_PORT_LOCAL

// TunnelMAC is one learned MAC address.
type TunnelMAC struct {
	MAC  net.HardwareAddr
	Peer int           // index in Peers, or TunnelLocal
	Age  time.Duration // since the last frame from it
}

// TunnelDropReason is why the tunnel dropped frames: the keys of the Drops maps.
type TunnelDropReason struct {
	Name        string // "bad_vni", "bad_tag", "replay", ...
	Description string
}

var (
	dropOnce  sync.Once
	dropNames []TunnelDropReason
)

// dropReasons are the engine's drop reasons: index i+1 of its counters is dropReasons()[i].
func dropReasons() []TunnelDropReason {
	dropOnce.Do(func() {
		for i := C.size_t(1); i < C.TK_TUNNEL_DROPS_MAX; i++ {
			name := C.tk_tunnel_drop_name(i)
			if name == nil {
				break
			}
			dropNames = append(dropNames, TunnelDropReason{Name: C.GoString(name),
				Description: C.GoString(C.tk_tunnel_drop_description(i))})
		}
	})
	return dropNames
}

// TunnelDropReasons lists the reasons a tunnel counts drops under, in the engine's order.
func TunnelDropReasons() []TunnelDropReason {
	return append([]TunnelDropReason(nil), dropReasons()...)
}

func goDrops(counts *[C.TK_TUNNEL_DROPS_MAX]C.uint64_t, n int) map[string]uint64 {
	reasons := dropReasons()
	m := make(map[string]uint64, len(reasons))
	for i, r := range reasons {
		if i+1 < n {
			m[r.Name] = uint64(counts[i+1])
		}
	}
	return m
}

func goTime(ns C.uint64_t) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(ns))
}

func goAddrPort(s *C.char) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(C.GoString(s)) // zero if the engine has none ("*:?")
	return ap
}

func goTunnelStats(s *C.tk_tunnel_snapshot) *TunnelStats {
	n := int(s.ndrops)
	out := &TunnelStats{
		Version:        int(s.version),
		Adapter:        C.GoString(&s.adapter[0]),
		AdapterOpen:    bool(s.adapter_open),
		Mode:           C.GoString(&s.mode[0]),
		VNI:            uint32(s.vni),
		MTU:            int(s.mtu),
		Forward:        bool(s.forward),
		Listen:         goAddrPort(&s.listen[0]),
		Config:         C.GoString(&s.config[0]),
		PublicKey:      C.GoString(&s.public_key[0]),
		Started:        goTime(s.started_ns),
		Time:           goTime(s.now_ns),
		AdapterReopens: uint64(s.adapter_reopens),
		Reloads:        uint64(s.reloads),
		ReloadFailures: uint64(s.reload_failures),
		Drops:          goDrops(&s.drops, n),
		MACTable: TunnelMACTable{
			Count:     int(s.mac_count),
			Capacity:  int(s.mac_capacity),
			Age:       time.Duration(s.mac_age_s) * time.Second,
			Evictions: uint64(s.mac_evictions),
		},
	}
	peers := unsafe.Slice(s.peers, int(s.npeers))
	for i := range peers {
		p := &peers[i]
		gp := TunnelPeerStats{
			Endpoint:  goAddrPort(&p.endpoint[0]),
			PublicKey: C.GoString(&p.public_key[0]),
			RxFrames:  uint64(p.rx_frames),
			RxBytes:   uint64(p.rx_bytes),
			TxFrames:  uint64(p.tx_frames),
			TxBytes:   uint64(p.tx_bytes),
			LastSeen:  goTime(p.last_seen_ns),
			Sessions:  uint64(p.sessions),
			Drops:     goDrops(&p.drops, n),

			Handshakes:      uint64(p.handshakes),
			LastHandshake:   goTime(p.last_handshake_ns),
			KeepalivesRx:    uint64(p.keepalives_rx),
			CurrentEndpoint: goAddrPort(&p.current_endpoint[0]),
		}
		for j := 0; j < int(p.nallowed) && j < C.TK_TUNNEL_ALLOWED_MACS_MAX; j++ {
			gp.AllowedMACs = append(gp.AllowedMACs,
				C.GoBytes(unsafe.Pointer(&p.allowed_macs[j][0]), C.TK_MAC_LEN))
		}
		out.Peers = append(out.Peers, gp)
	}
	for _, m := range unsafe.Slice(s.macs, int(s.nmacs)) {
		out.MACTable.Entries = append(out.MACTable.Entries, TunnelMAC{
			MAC:  C.GoBytes(unsafe.Pointer(&m.mac[0]), C.TK_MAC_LEN),
			Peer: int(m.peer),
			Age:  time.Duration(m.age_ms) * time.Millisecond,
		})
	}
	return out
}
