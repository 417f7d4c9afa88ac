// SPDX-License-Identifier: MIT

//go:build linux && cgo

package tapkit

// The tunnel engine from Go: two tunnels in this one process, each in a network namespace of
// its own (a tunnel works in the namespace of the thread that called NewTunnel: one namespace
// over loopback would not do, since ping between two addresses of one namespace never leaves
// its stack), over a veth pair between the two; ping crosses them.
//
//	+---------- nsA ----------+   veth 10.99.7.0/24   +---------- nsB ----------+
//	| tkga 10.250.7.1/24       |<=== UDP 4789, sealed =>| tkgb 10.250.7.2/24       |
//	+------------------- one test process: two Tunnels ---------------------------+

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Bad configurations give ErrConfig with FILE:LINE (or the key) and the library's words.
func TestTunnelConfigErrors(t *testing.T) {
	_, err := ParseTunnelConfig("[Interface]\nName = tkg0\nMTU = 50\n[Peer]\nEndpoint = 10.99.7.2:4789\n")
	e := wantCause(t, err, ErrConfig)
	if e.Object != "<string>:3" || !strings.Contains(err.Error(), "<string>:3") || !strings.Contains(e.Message, "68") {
		t.Errorf("MTU = 50 at line 3: %v (object %q)", err, e.Object)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.conf")
	os.WriteFile(path, []byte("[Interface]\nName = tkg0\n\n[Peer]\nEndpoint = 10.99.7.2:4789\nColour = blue\n"), 0o600)
	_, err = LoadTunnelConfig(path)
	if e := wantCause(t, err, ErrConfig); e.Object != path+":6" {
		t.Errorf("unknown key at line 6: object %q, want %s:6", e.Object, path)
	}
	_, err = LoadTunnelConfig(filepath.Join(dir, "missing.conf"))
	wantCause(t, err, ErrConfig)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v is not fs.ErrNotExist", err)
	}

	var cfg TunnelConfig // the zero value: built key by key
	if err := cfg.Set("Name", "tkg0"); err != nil {
		t.Fatalf("Set Name: %v", err)
	}
	if e := wantCause(t, cfg.Set("MTU", "50"), ErrConfig); e.Object != "MTU" {
		t.Errorf("Set MTU 50: object %q, want MTU", e.Object)
	}
	wantCause(t, cfg.Check(), ErrConfig) // no peer
	p, err := cfg.AddPeer()
	if err != nil || p.Index() != 0 {
		t.Fatalf("AddPeer: %v, %v", p, err)
	}
	if e := wantCause(t, p.Set("Endpoint", "not-an-address"), ErrConfig); e.Object != "Endpoint" {
		t.Errorf("bad Endpoint: object %q", e.Object)
	}
	wantCause(t, cfg.Peer(3).Set("Endpoint", "10.99.7.2:4789"), ErrConfig)
	wantCause(t, cfg.Peer(-1).Set("Endpoint", "10.99.7.2:4789"), ErrConfig)
	if err := p.Set("Endpoint", "10.99.7.2:4789"); err != nil {
		t.Fatalf("Endpoint: %v", err)
	}
	if err := cfg.Check(); err != nil || cfg.Name() != "tkg0" {
		t.Fatalf("Check after the refused values (which changed nothing): %v, name %q", err, cfg.Name())
	}
	// sealed: a key file others may read is refused with the fix
	key, err := GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	kf := filepath.Join(dir, "open.key")
	os.WriteFile(kf, []byte(key+"\n"), 0o644)
	os.Chmod(kf, 0o644)
	cfg.Set("Mode", "sealed")
	cfg.Set("PrivateKeyFile", kf)
	pub, _ := PublicKey(key)
	p.Set("PublicKey", pub)
	if e := wantCause(t, cfg.Check(), ErrConfig); !strings.Contains(e.Remedy+e.Message, "chmod") {
		t.Errorf("a key file of mode 0644: %+v, want the chmod fix", e)
	}
	// NewTunnel checks as well, on the tunnel's thread, and gives the same error
	_, err = NewTunnel(&cfg)
	wantCause(t, err, ErrConfig)
	_, err = NewTunnel(nil)
	wantCause(t, err, ErrBadArgument)
}

func TestTunnelKeys(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	b, _ := GenerateKey()
	pa, err := PublicKey(a + "\n")
	if err != nil || len(a) != 44 || len(pa) != 44 || a == b || pa == a {
		t.Fatalf("keys %q %q, public %q, %v", a, b, pa, err)
	}
	if pa2, _ := PublicKey(a); pa2 != pa {
		t.Fatalf("PublicKey is not a function of the key: %q %q", pa, pa2)
	}
	_, err = PublicKey("not a key")
	var te *Error
	if !errors.As(err, &te) || te.Message == "" {
		t.Fatalf("PublicKey of garbage: %v", err)
	}
	t.Logf("PublicKey(garbage): %v", err)
	if r := TunnelDropReasons(); len(r) < 5 || r[0].Name == "" || r[0].Description == "" {
		t.Fatalf("TunnelDropReasons: %+v", r)
	}
}

// tunnelIn starts a tunnel from a goroutine whose thread entered the namespace ns (and ends
// with it: a thread in another namespace is never handed back to Go).
func tunnelIn(t *testing.T, ns string, cfg *TunnelConfig) *Tunnel {
	t.Helper()
	type result struct {
		tun *Tunnel
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked
		f, err := os.Open("/run/netns/" + ns)
		if err == nil {
			err = tunnelNetns{f: f}.enter()
		}
		if err != nil {
			ch <- result{nil, err}
			return
		}
		tun, err := NewTunnel(cfg)
		ch <- result{tun, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("NewTunnel in %s: %v", ns, r.err)
	}
	t.Cleanup(func() { // bounded: a Close that hangs fails the test and leaves no namespace behind
		closed := make(chan error, 1)
		go func() { closed <- r.tun.Close() }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Errorf("Close(%s): still waiting after 5 s", r.tun.Name())
		}
	})
	return r.tun
}

func nsPing(ns, addr string, count int) error {
	out, err := exec.Command("ip", "netns", "exec", ns, "ping", "-c", fmt.Sprint(count), "-i", "0.2",
		"-W", "2", addr).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ping %s from %s: %v: %s", addr, ns, err, out)
	}
	return nil
}

func linkExists(ns, name string) bool {
	return exec.Command("ip", "-n", ns, "link", "show", name).Run() == nil
}

func TestTunnelPair(t *testing.T) {
	needRoot(t)
	nsA, nsB := fmt.Sprintf("tkgo%da", os.Getpid()), fmt.Sprintf("tkgo%db", os.Getpid())
	for _, ns := range []string{nsA, nsB} {
		run(t, "ip", "netns", "add", ns)
		ns := ns
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		// no IPv6: the counters move only for the test's traffic
		run(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
			"net.ipv6.conf.default.disable_ipv6=1")
	}
	va, vb := fmt.Sprintf("tkgv%da", os.Getpid()), fmt.Sprintf("tkgv%db", os.Getpid())
	run(t, "ip", "link", "add", va, "type", "veth", "peer", "name", vb)
	run(t, "ip", "link", "set", va, "netns", nsA, "name", "ul0")
	run(t, "ip", "link", "set", vb, "netns", nsB, "name", "ul0")
	run(t, "ip", "-n", nsA, "addr", "add", "10.99.7.1/24", "dev", "ul0")
	run(t, "ip", "-n", nsB, "addr", "add", "10.99.7.2/24", "dev", "ul0")
	run(t, "ip", "-n", nsA, "link", "set", "ul0", "up")
	run(t, "ip", "-n", nsB, "link", "set", "ul0", "up")

	// sealed mode, keys from GenerateKey; A built key by key, B from a file
	dir := t.TempDir()
	keyA, _ := GenerateKey()
	keyB, _ := GenerateKey()
	pubA, _ := PublicKey(keyA)
	pubB, _ := PublicKey(keyB)
	os.WriteFile(filepath.Join(dir, "a.key"), []byte(keyA+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "b.key"), []byte(keyB+"\n"), 0o600)
	var cfgA TunnelConfig
	for _, kv := range [][2]string{{"Name", "tkga"}, {"Mode", "sealed"}, {"ListenAddress", "10.99.7.1:4789"},
		{"PrivateKeyFile", filepath.Join(dir, "a.key")}, {"Address", "10.250.7.1/24"}} {
		if err := cfgA.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set %s: %v", kv[0], err)
		}
	}
	peerA, err := cfgA.AddPeer()
	if err != nil {
		t.Fatal(err)
	}
	// the wrong port first: Reload corrects it below
	if err := peerA.Set("Endpoint", "10.99.7.2:4790"); err != nil {
		t.Fatal(err)
	}
	peerA.Set("PublicKey", pubB)
	fileB := filepath.Join(dir, "b.conf")
	os.WriteFile(fileB, []byte(fmt.Sprintf(`[Interface]
Name = tkgb
Mode = sealed
ListenAddress = 10.99.7.2:4789
PrivateKeyFile = b.key
Address = 10.250.7.2/24

[Peer]
Endpoint = 10.99.7.1:4789
PublicKey = %s
`, pubA)), 0o600)
	cfgB, err := LoadTunnelConfig(fileB)
	if err != nil {
		t.Fatalf("LoadTunnelConfig: %v", err)
	}

	ta := tunnelIn(t, nsA, &cfgA)
	tb := tunnelIn(t, nsB, cfgB)
	if !linkExists(nsA, "tkga") || !linkExists(nsB, "tkgb") || linkExists(nsA, "tkgb") {
		t.Fatalf("the adapters are not each in its own namespace")
	}

	// B: a program with its own loop; a quiet tunnel's Dispatch times out
	start := time.Now()
	err = tb.Dispatch(50 * time.Millisecond)
	if el := time.Since(start); err != nil && (!errors.Is(err, os.ErrDeadlineExceeded) || el < 40*time.Millisecond || el > 3*time.Second) {
		t.Fatalf("Dispatch(50ms) on a quiet tunnel: %v after %v", err, el)
	}
	bDone := make(chan error, 1)
	go func() {
		for {
			if err := tb.Dispatch(-1); err != nil {
				bDone <- err
				return
			}
		}
	}()
	// A: Run
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	aDone := make(chan error, 1)
	go func() { aDone <- ta.Run(ctxA) }()

	// the wrong port: nothing crosses, the ICMP errors count as "unreachable"; in sealed
	// mode (v2) the frames wait for a session, so what meets the closed port is the
	// handshake initiation: no transport frame leaves, no handshake completes
	if nsPing(nsA, "10.250.7.2", 1) == nil {
		t.Fatal("ping crossed though A sends to port 4790")
	}
	s := statsT(t, ta)
	if len(s.Peers) != 1 || s.Peers[0].Endpoint.String() != "10.99.7.2:4790" || s.Peers[0].TxFrames != 0 ||
		s.Peers[0].Handshakes != 0 || !s.Peers[0].LastHandshake.IsZero() ||
		s.Drops["unreachable"] == 0 || s.Peers[0].Drops["unreachable"] == 0 {
		t.Fatalf("A before the reload: %+v", s)
	}
	// a second Run (or Dispatch) while Run drives A is refused
	wantCause(t, ta.Dispatch(0), ErrBadArgument)

	// Reload with the peer corrected takes effect: ping crosses both ways
	if err := cfgA.Peer(0).Set("Endpoint", "10.99.7.2:4789"); err != nil {
		t.Fatal(err)
	}
	if err := ta.Reload(&cfgA); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if err := nsPing(nsA, "10.250.7.2", 3); err != nil {
		t.Fatal(err)
	}
	if err := nsPing(nsB, "10.250.7.1", 3); err != nil {
		t.Fatal(err)
	}
	s = statsT(t, ta)
	p := s.Peers[0]
	if s.Reloads != 1 || p.Endpoint.String() != "10.99.7.2:4789" || p.RxFrames < 6 || p.TxFrames < 6 ||
		p.RxBytes == 0 || p.PublicKey != pubB || time.Since(p.LastSeen) > time.Minute ||
		p.Handshakes == 0 || time.Since(p.LastHandshake) > time.Minute ||
		p.CurrentEndpoint.String() != "10.99.7.2:4789" {
		t.Fatalf("A after the reload and 6 pings: %+v", s)
	}
	if s.Version != 1 || s.Adapter != "tkga" || !s.AdapterOpen || s.Mode != "sealed" || s.PublicKey != pubA ||
		s.Listen.String() != "10.99.7.1:4789" || s.MTU == 0 || s.Config != "" || s.Started.IsZero() {
		t.Fatalf("A's state: %+v", s)
	}
	local, remote := false, false
	for _, m := range s.MACTable.Entries {
		local = local || m.Peer == TunnelLocal
		remote = remote || m.Peer == 0
	}
	if !local || !remote || s.MACTable.Count != len(s.MACTable.Entries) {
		t.Fatalf("A's MAC table, want a local entry and one behind peer 0: %+v", s.MACTable)
	}
	sb := statsT(t, tb)
	if sb.Config != fileB || sb.Peers[0].RxFrames < 6 {
		t.Fatalf("B: %+v", sb)
	}
	t.Logf("A: peer %v rx %d tx %d, drops %v; MACs %+v", p.Endpoint, p.RxFrames, p.TxFrames, s.Drops, s.MACTable.Entries)

	// a reload the engine refuses (Name cannot change) leaves the running configuration
	bad, _ := ParseTunnelConfig(fmt.Sprintf("[Interface]\nName = tkgz\nMode = sealed\nPrivateKeyFile = %s\n[Peer]\nEndpoint = 10.99.7.2:4789\nPublicKey = %s\n",
		filepath.Join(dir, "a.key"), pubB))
	wantCause(t, ta.Reload(bad), ErrConfig)
	if s := statsT(t, ta); s.Reloads != 1 || s.ReloadFailures != 1 || s.Peers[0].Endpoint.String() != "10.99.7.2:4789" {
		t.Fatalf("after a refused reload: reloads %d failures %d peers %+v", s.Reloads, s.ReloadFailures, s.Peers)
	}

	// ctx cancel stops Run within a bound; Run again carries on, and the counters grow
	cancelA()
	if err := within(t, aDone, 2*time.Second, "Run after its context was cancelled"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v", err)
	}
	before := statsT(t, ta).Peers[0].RxFrames
	go func() { aDone <- ta.Run(context.Background()) }()
	if err := nsPing(nsA, "10.250.7.2", 2); err != nil {
		t.Fatal(err)
	}
	if after := statsT(t, ta).Peers[0].RxFrames; after < before+2 {
		t.Fatalf("rx frames %d -> %d after 2 more pings", before, after)
	}

	// Close ends Run (nil) and the Dispatch loop (os.ErrClosed); the adapters go away
	closed := make(chan error, 1)
	go func() { closed <- ta.Close() }()
	if err := within(t, closed, 5*time.Second, "Close"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := within(t, aDone, 2*time.Second, "Run after Close"); err != nil {
		t.Fatalf("Run after Close: %v", err)
	}
	if err := ta.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := ta.Stats(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Stats after Close: %v", err)
	}
	if err := ta.Run(context.Background()); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if linkExists(nsA, "tkga") {
		t.Fatal("tkga still there after Close")
	}
	tb.Close()
	if err := within(t, bDone, 2*time.Second, "Dispatch after Close"); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Dispatch after Close: %v", err)
	}
	if linkExists(nsB, "tkgb") {
		t.Fatal("tkgb still there after Close")
	}
}
