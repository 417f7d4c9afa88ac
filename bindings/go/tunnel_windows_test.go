// SPDX-License-Identifier: MIT

//go:build windows && cgo

package tapkit

// A Go Tunnel (plain) on the emulated adapter "emu one" against a Linux `tapkit tunnel run`,
// under Wine: tests/windows/test_go_tunnel.sh starts Wine in a network namespace joined to the
// Linux peer's by a veth pair and sets TAPKIT_GO_TUNNEL="LISTEN PEER TARGET ME" (the tunnel's
// UDP address, the Linux tunnel's, the Linux TAP's IPv4 address, ours on its subnet). The test
// speaks through "emu two", which the emulated driver cross-connects with "emu one": an ARP
// request and a ping written there leave through the Go tunnel, the Linux kernel answers on its
// TAP, and the replies come back through it. Its "stats:" log line is compared with the Linux
// tunnel's counters by the script.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tapkit/tapkit/bindings/go/internal/ethframe"
)

type tunnelPeerEnv struct {
	listen, peer netip.AddrPort
	target, me   [4]byte
}

func needTunnelPeer(t *testing.T) tunnelPeerEnv {
	t.Helper()
	needEmu(t)
	f := strings.Fields(os.Getenv("TAPKIT_GO_TUNNEL"))
	if len(f) != 4 {
		t.Skip("needs a Linux tunnel peer (tests/windows/test_go_tunnel.sh sets TAPKIT_GO_TUNNEL)")
	}
	var e tunnelPeerEnv
	var err error
	if e.listen, err = netip.ParseAddrPort(f[0]); err == nil {
		e.peer, err = netip.ParseAddrPort(f[1])
	}
	for i, p := range []*[4]byte{&e.target, &e.me} {
		if err == nil {
			var a netip.Addr
			a, err = netip.ParseAddr(f[2+i])
			*p = a.As4()
		}
	}
	if err != nil {
		t.Fatalf("TAPKIT_GO_TUNNEL=%q: %v", os.Getenv("TAPKIT_GO_TUNNEL"), err)
	}
	return e
}

func (e tunnelPeerEnv) config(t *testing.T, name string) *TunnelConfig {
	t.Helper()
	cfg, err := ParseTunnelConfig(fmt.Sprintf(`
[Interface]
Name = %s
Mode = plain
ListenAddress = %s
MTU = 1400

[Peer]
Endpoint = %s
`, name, e.listen, e.peer))
	if err != nil {
		t.Fatalf("ParseTunnelConfig: %v", err)
	}
	return cfg
}

// exchange writes req into d until a frame that ok accepts comes back (at most 10 attempts,
// a second apart). It counts every frame written and read.
func exchange(t *testing.T, d *Device, req []byte, ok func([]byte) bool, wrote, read *int) []byte {
	t.Helper()
	buf := make([]byte, FrameBufMax)
	for attempt := 0; attempt < 10; attempt++ {
		if _, err := d.Write(req); err != nil {
			t.Fatalf("write into %s: %v", emuTwo, err)
		}
		*wrote++
		d.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, err := d.Read(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			} else if err != nil {
				t.Fatalf("read from %s: %v", emuTwo, err)
			}
			*read++
			if ok(buf[:n]) {
				return append([]byte(nil), buf[:n]...)
			}
		}
	}
	t.Fatalf("no answer through the tunnel in 10 attempts")
	return nil
}

// A bad configuration, a missing adapter and a held one: each a typed cause, the Win32 code
// reachable through errors.As where Windows gave one.
func TestWinTunnelErrors(t *testing.T) {
	e := needTunnelPeer(t)
	_, err := ParseTunnelConfig("[Interface]\nName = emu one\nVNI = banana\n")
	te := wantCause(t, err, ErrConfig)
	if te.Object != "<string>:3" {
		t.Fatalf("VNI = banana: Object %q, want <string>:3", te.Object)
	}
	var cfg TunnelConfig
	wantCause(t, cfg.Set("MTU", "99999"), ErrConfig)
	// no [Peer]: what the keys mean together is checked before anything is opened
	lone, err := ParseTunnelConfig("[Interface]\nName = emu one\nMode = plain\nListenAddress = " +
		e.listen.String() + "\n")
	if err == nil {
		_, err = NewTunnel(lone)
	}
	wantCause(t, err, ErrConfig)
	_, err = NewTunnel(e.config(t, missingAdapter))
	wantCause(t, err, ErrAdapterNotFound)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%v is not fs.ErrNotExist", err)
	}
	d := openT(t, emuOne, nil)
	_, err = NewTunnel(e.config(t, emuOne))
	wantCause(t, err, ErrAdapterBusy)
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno != 31 {
		t.Fatalf("a tunnel on a held adapter: errors.As to syscall.Errno gives %d, want 31 (%v)", errno, err)
	}
	d.Close()
}

// The tunnel against the Linux peer: Dispatch's deadline and wake-ups, frames both ways during
// Run, Stats and Reload from another goroutine, a cancelled Run, Close ending a Run.
func TestWinTunnel(t *testing.T) {
	e := needTunnelPeer(t)
	cfg := e.config(t, emuOne)
	tun, err := NewTunnel(cfg)
	if err != nil {
		t.Fatalf("NewTunnel: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			tun.Close()
		}
	}()
	if tun.Name() != emuOne {
		t.Fatalf("Name %q", tun.Name())
	}

	// Nothing comes (the Linux side sends only answers): Dispatch waits out its timeout, and a
	// Stats meanwhile is served at once without ending it (the wake-up is no event).
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- tun.Dispatch(3 * time.Second) }()
	time.Sleep(200 * time.Millisecond)
	st0 := time.Now()
	s := statsT(t, tun)
	t.Logf("Stats during a waiting Dispatch: %v", time.Since(st0).Round(10*time.Microsecond))
	if el := time.Since(st0); el > 1500*time.Millisecond { // a missed wake-up: 2.8 s
		t.Fatalf("Stats during a waiting Dispatch took %v", el)
	}
	if s.Adapter != emuOne || s.Mode != "plain" || s.Listen != e.listen || len(s.Peers) != 1 ||
		s.Peers[0].Endpoint != e.peer || !s.AdapterOpen {
		t.Fatalf("Stats: %+v", s)
	}
	err = within(t, done, 10*time.Second, "Dispatch(3 s)")
	if el := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || el < 2900*time.Millisecond {
		t.Fatalf("Dispatch(3 s) with nothing to do: %v after %v, want os.ErrDeadlineExceeded after 3 s", err, el)
	}

	ctx, cancel := context.WithCancel(context.Background())
	runc := make(chan error, 1)
	go func() { runc <- tun.Run(ctx) }()

	dev := openT(t, emuTwo, nil)
	mac := [6]byte{0x02, 0x00, 0x5e, 0x00, 0x53, 0x99}
	wrote, read := 0, 0
	isARPReply := func(f []byte) bool {
		return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == ethframe.ARP &&
			binary.BigEndian.Uint16(f[20:]) == 2 && *(*[4]byte)(f[28:32]) == e.target
	}
	arp := exchange(t, dev, ethframe.ARPRequest(mac, e.me, e.target), isARPReply, &wrote, &read)
	peerMAC := *(*[6]byte)(arp[22:28])
	t.Logf("ARP reply through the tunnel: %s is-at %s", net.IP(e.target[:]), net.HardwareAddr(peerMAC[:]))
	exchange(t, dev, ethframe.EchoRequest(mac, peerMAC, e.me, e.target, 0x7a6b, "tapkit go tunnel"), func(f []byte) bool {
		return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == ethframe.IPv4 && f[23] == 1 &&
			f[34] == 0 && binary.BigEndian.Uint16(f[38:]) == 0x7a6b && ethframe.Checksum(f[34:]) == 0
	}, &wrote, &read)
	t.Logf("echo reply from %s through the tunnel", net.IP(e.target[:]))

	// Late answers to repeated requests: read what is still on its way, then the counters
	// hold still.
	buf := make([]byte, FrameBufMax)
	for {
		dev.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
		if _, err := dev.Read(buf); err != nil {
			break
		}
		read++
	}
	if err := tun.Reload(cfg); err != nil {
		t.Fatalf("Reload during Run: %v", err)
	}
	cancel()
	start = time.Now()
	err = within(t, runc, 5*time.Second, "Run after its context was cancelled")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v", err)
	}
	t.Logf("a cancel ended Run in %v", time.Since(start).Round(10*time.Microsecond))

	// A loop of the test's own: Dispatch forwards the request and the answer (nil when it
	// handled events, os.ErrDeadlineExceeded when none came within its timeout).
	if _, err := dev.Write(ethframe.ARPRequest(mac, e.me, e.target)); err != nil {
		t.Fatalf("write into %s: %v", emuTwo, err)
	}
	wrote++
	got := make(chan error, 1)
	go func() { // read is the test's again once got has a value
		dev.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			n, err := dev.Read(buf)
			if err == nil {
				read++
			}
			if err != nil || isARPReply(buf[:n]) {
				got <- err
				return
			}
		}
	}()
	handled := 0
	for answered := false; !answered; {
		switch err := tun.Dispatch(200 * time.Millisecond); {
		case err == nil:
			handled++
		case !errors.Is(err, os.ErrDeadlineExceeded):
			t.Fatalf("Dispatch: %v", err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("no ARP reply with a Dispatch loop: %v", err)
			}
			answered = true
		default:
		}
	}
	if handled < 2 { // the request from the adapter, the answer from the socket
		t.Fatalf("the Dispatch loop handled events %d times", handled)
	}
	t.Logf("a Dispatch loop forwarded an ARP exchange (%d calls handled events)", handled)

	s = statsT(t, tun) // between Runs: the tunnel's thread waits on the wake-up alone
	p := s.Peers[0]
	t.Logf("stats: peers=%d tx_frames=%d rx_frames=%d tx_bytes=%d rx_bytes=%d reloads=%d (written %d, read %d)",
		len(s.Peers), p.TxFrames, p.RxFrames, p.TxBytes, p.RxBytes, s.Reloads, wrote, read)
	if p.TxFrames != uint64(wrote) || p.RxFrames != uint64(read) || p.LastSeen.IsZero() || s.Reloads != 1 {
		t.Fatalf("counters: tx %d rx %d (last seen %v) reloads %d; the test wrote %d frames into %s and read %d",
			p.TxFrames, p.RxFrames, p.LastSeen, s.Reloads, wrote, emuTwo, read)
	}

	// Close from another goroutine ends a Run (nil) at once; the adapter is free again.
	go func() { runc <- tun.Run(context.Background()) }()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-runc:
		t.Fatalf("Run again returned before Close: %v", err)
	default:
	}
	start = time.Now()
	closec := make(chan error, 1)
	go func() { closec <- tun.Close() }()
	closed = true
	if err := within(t, runc, 2*time.Second, "Run after Close"); err != nil {
		t.Fatalf("Run after Close: %v, want nil", err)
	}
	el := time.Since(start)
	if err := within(t, closec, 5*time.Second, "Close"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Close ended Run in %v", el.Round(10*time.Microsecond))
	if err := tun.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := tun.Stats(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Stats after Close: %v", err)
	}
	openT(t, emuOne, nil).Close()
}
