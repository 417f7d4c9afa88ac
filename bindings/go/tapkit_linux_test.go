// SPDX-License-Identifier: MIT

//go:build linux && cgo

package tapkit

// The tests create real TAP adapters. As root, TestMain re-executes the test binary inside a
// network namespace of its own (`ip netns exec tkgoPID`), deleted afterwards, so the host's
// interfaces are never touched. Failures that need another user or no /dev/net/tun run this
// binary again as a helper (TAPKIT_GO_HELPER) under unshare -m and setpriv, as the CLI's netns
// tests do. Without root, only the tests that need no adapter run.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tapkit/tapkit/bindings/go/internal/ethframe"
)

const helperEnv = "TAPKIT_GO_HELPER"
const netnsEnv = "TAPKIT_GO_NETNS"

// helperBinary is a copy of the test binary that any uid may run (the go build dir is 0700).
var helperBinary string

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h))
	}
	if os.Geteuid() == 0 && os.Getenv(netnsEnv) == "" {
		os.Exit(reexecInNetns())
	}
	os.Exit(m.Run())
}

func reexecInNetns() int {
	ns := fmt.Sprintf("tkgo%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "ip netns add %s: %v: %s\n", ns, err, out)
		return 1
	}
	defer exec.Command("ip", "netns", "del", ns).Run()
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), netnsEnv+"="+ns)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// runHelper: "open NAME": opens NAME and prints the error (or {}) as JSON on stdout.
func runHelper(spec string) int {
	f := strings.Fields(spec)
	if len(f) != 2 || f[0] != "open" {
		fmt.Fprintf(os.Stderr, "bad helper spec %q\n", spec)
		return 2
	}
	d, err := Open(f[1], nil)
	if err == nil {
		d.Close()
	}
	var te *Error
	if err != nil && !errors.As(err, &te) {
		fmt.Fprintf(os.Stderr, "not a *tapkit.Error: %v\n", err)
		return 1
	}
	if te == nil {
		te = &Error{}
	}
	json.NewEncoder(os.Stdout).Encode(te)
	return 0
}

// devnetScript hides /dev/net/tun under a tmpfs, makes a node of the given mode (or none), and
// runs the rest as uid (no capabilities) or as root (uid 0): tests/netns/lib.sh's technique.
const devnetScript = `set -e
node_mode=$1 uid=$2
shift 2
mount -t tmpfs -o mode=0755 tk-devnet /dev/net
if [ "$node_mode" != none ]; then mknod -m "$node_mode" /dev/net/tun c 10 200; fi
if [ "$uid" = 0 ]; then exec "$@"; fi
exec setpriv --reuid "$uid" --regid "$uid" --clear-groups --inh-caps=-all --bounding-set=-all "$@"`

// helperOpen runs the helper as uid with a /dev/net/tun of nodeMode and returns its error.
func helperOpen(t *testing.T, uid int, nodeMode, name string) *Error {
	t.Helper()
	cmd := exec.Command("unshare", "-m", "sh", "-c", devnetScript, "tk-devnet", nodeMode,
		fmt.Sprint(uid), helperBinary)
	cmd.Env = append(os.Environ(), helperEnv+"=open "+name)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper (uid %d, node %s): %v\n%s", uid, nodeMode, err, stderr.String())
	}
	var e Error
	if err := json.Unmarshal(out, &e); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	return &e
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Getenv(netnsEnv) == "" {
		t.Skip("needs root (run as root: the test then runs in a network namespace of its own)")
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

func find(t *testing.T, name string) *Adapter {
	t.Helper()
	list, err := List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

func TestNameInvalidLinux(t *testing.T) {
	_, err := Doctor("abcdefghijklmnop")
	wantCause(t, err, ErrNameInvalid)
}

func TestOpenWriteRead(t *testing.T) {
	needRoot(t)
	d, err := Open("gotap0", nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var rwc io.ReadWriteCloser = d
	a := find(t, "gotap0")
	if a == nil || a.Mode != TAP || len(a.Holders) == 0 || a.Holders[0].PID != os.Getpid() {
		t.Fatalf("List: gotap0 = %+v, want a TAP held by pid %d", a, os.Getpid())
	}
	run(t, "ip", "addr", "add", "10.251.0.1/24", "dev", "gotap0")
	run(t, "ip", "link", "set", "gotap0", "up")
	if a, _ := Get("gotap0"); a == nil || !a.Up || !a.Carrier || len(a.Addrs) == 0 ||
		a.Addrs[0].String() != "10.251.0.1/24" {
		t.Fatalf("Get: %+v, want up, carrier, 10.251.0.1/24", a)
	}

	// The kernel answers an ARP request for the adapter's address: Write, then Read the reply.
	peer := [6]byte{0x02, 0, 0, 0, 0, 0x99}
	if _, err := rwc.Write(ethframe.ARPRequest(peer, [4]byte{10, 251, 0, 2}, [4]byte{10, 251, 0, 1})); err != nil {
		t.Fatalf("Write: %v", err)
	}
	timer := time.AfterFunc(5*time.Second, func() { d.Close() })
	defer timer.Stop()
	buf := make([]byte, FrameBufMax)
	got := false
	for i := 0; i < 100 && !got; i++ {
		n, err := rwc.Read(buf)
		if err != nil {
			t.Fatalf("Read (frame %d): %v", i, err)
		}
		f := buf[:n]
		got = n >= 42 && binary.BigEndian.Uint16(f[12:]) == 0x0806 &&
			binary.BigEndian.Uint16(f[20:]) == 2 && string(f[0:6]) == string(peer[:]) &&
			string(f[28:32]) == string([]byte{10, 251, 0, 1})
	}
	if !got {
		t.Fatal("no ARP reply for 10.251.0.1 in 100 frames")
	}
	if err := rwc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if a := find(t, "gotap0"); a != nil {
		t.Fatalf("gotap0 still there after Close (it was temporary): %+v", a)
	}
}

func TestCloseEndsBlockedRead(t *testing.T) {
	needRoot(t)
	d, err := Open("goblk0", nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := d.Read(make([]byte, FrameBufMax))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	d.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Read still blocked 3 s after Close")
	}
}

// The seven classic failures, provoked for real.
func TestClassicFailures(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	helperBinary = filepath.Join(dir, "tapkit.test")
	run(t, "install", "-m", "0755", self, helperBinary)

	t.Run("1 tun missing", func(t *testing.T) {
		e := helperOpen(t, 0, "none", "gonotun0")
		wantCause(t, e, ErrTunMissing)
		if !strings.Contains(e.Remedy, "modprobe tun") || !strings.Contains(e.Remedy, "--device") {
			t.Errorf("remedy %q: want modprobe tun and --device", e.Remedy)
		}
		if !errors.Is(e, syscall.ENOENT) {
			t.Errorf("os code %d, want ENOENT", e.OSCode)
		}
	})
	t.Run("2 no privilege", func(t *testing.T) {
		e := helperOpen(t, 65534, "0600", "gonopriv0")
		wantCause(t, e, ErrNoPrivilege)
		if !errors.Is(e, syscall.EACCES) {
			t.Errorf("os code %d, want EACCES", e.OSCode)
		}
	})
	t.Run("3 owner mismatch", func(t *testing.T) {
		run(t, "ip", "tuntap", "add", "dev", "goown0", "mode", "tap", "user", "4242")
		defer exec.Command("ip", "link", "del", "goown0").Run()
		e := helperOpen(t, 4243, "0666", "goown0")
		wantCause(t, e, ErrOwnerMismatch)
		if !strings.Contains(e.Message+e.Remedy, "4242") {
			t.Errorf("the error does not name the owner 4242: %+v", e)
		}
		if e := helperOpen(t, 4242, "0666", "goown0"); e.Cause != 0 {
			t.Errorf("the owner itself: %v", e)
		}
	})
	t.Run("4 busy", func(t *testing.T) {
		d, err := Open("gobusy0", nil)
		if err != nil {
			t.Fatalf("first Open: %v", err)
		}
		defer d.Close()
		_, err = Open("gobusy0", nil)
		e := wantCause(t, err, ErrAdapterBusy)
		if !errors.Is(err, syscall.EBUSY) || e.HolderPID != os.Getpid() {
			t.Errorf("want EBUSY and holder pid %d: %+v", os.Getpid(), e)
		}
		rep, err := Doctor("gobusy0")
		if err != nil {
			t.Fatalf("Doctor: %v", err)
		}
		failed := rep.Failed()
		if len(failed) == 0 || failed[0].Cause != ErrAdapterBusy || rep.Fail != len(failed) {
			t.Fatalf("Doctor(gobusy0) failed checks %+v, want the first TK_E_ADAPTER_BUSY", failed)
		}
		t.Logf("doctor: %s %s: %s (fix: %s)", failed[0].Status, failed[0].ID, failed[0].Summary, failed[0].Remedy)
	})
	t.Run("5 flags mismatch", func(t *testing.T) {
		run(t, "ip", "tuntap", "add", "dev", "gomq0", "mode", "tap", "multi_queue")
		defer exec.Command("ip", "link", "del", "gomq0").Run()
		_, err := Open("gomq0", nil)
		wantCause(t, err, ErrFlagsMismatch)
		d, err := Open("gomq0", &OpenOptions{MultiQueue: true})
		if err != nil {
			t.Fatalf("Open with MultiQueue: %v", err)
		}
		d.Close()
	})
	t.Run("6 not found", func(t *testing.T) {
		_, err := Open("gonone0", &OpenOptions{NoCreate: true})
		wantCause(t, err, ErrAdapterNotFound)
		_, err = Get("gonone0")
		wantCause(t, err, ErrAdapterNotFound)
		_, err = Get("lo")
		wantCause(t, err, ErrNotTAP)
	})
	t.Run("7 device vanished", func(t *testing.T) {
		d, err := Open("govan0", nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer d.Close()
		run(t, "ip", "link", "del", "govan0")
		timer := time.AfterFunc(5*time.Second, func() { d.Close() })
		defer timer.Stop()
		_, err = d.Read(make([]byte, FrameBufMax))
		wantCause(t, err, ErrDeviceVanished)
		if !errors.Is(err, syscall.EBADFD) {
			t.Errorf("want EBADFD: %v", err)
		}
	})
}

func TestDoctorAll(t *testing.T) {
	needRoot(t)
	rep, err := Doctor("")
	if err != nil {
		t.Fatalf("Doctor: %v", err)
	}
	if len(rep.Checks) == 0 || rep.OK+rep.Warn+rep.Fail+rep.Skipped != len(rep.Checks) || rep.TraceID == "" {
		t.Fatalf("report %+v", rep)
	}
	if rep.Fail != 0 {
		t.Fatalf("checks failed as root in a fresh namespace: %+v", rep.Failed())
	}
	if rep.Checks[0].Status.String() != "ok" {
		t.Fatalf("first check %+v", rep.Checks[0])
	}
}

const isWindows = false

// missingAdapter is a valid name no test creates.
const missingAdapter = "gonone9"

func openT(t *testing.T, name string, opts *OpenOptions) *Device {
	t.Helper()
	d, err := Open(name, opts)
	if err != nil {
		t.Fatalf("Open(%q, %+v): %v", name, opts, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Deadlines end a blocked Read with os.ErrDeadlineExceeded; a cleared one lets Read wait again.
func TestDeadlines(t *testing.T) {
	needRoot(t)
	d := openT(t, "godl0", nil)
	buf := make([]byte, FrameBufMax)
	start := time.Now()
	d.SetReadDeadline(start.Add(150 * time.Millisecond))
	_, err := d.Read(buf)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	if el := time.Since(start); el < 100*time.Millisecond || el > 3*time.Second {
		t.Fatalf("Read returned after %v, want about 150 ms", el)
	}
	// A deadline in the past fails at once; zero clears it and Close still ends the wait.
	d.SetDeadline(time.Now().Add(-time.Second))
	if _, err := d.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read with a past deadline: %v", err)
	}
	if _, err := d.Write(make([]byte, 60)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write with a past deadline: %v", err)
	}
	d.SetDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := d.Read(buf); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Read without deadline returned at once: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	d.Close()
	if err := <-done; !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if err := d.SetReadDeadline(time.Now()); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("SetReadDeadline after Close: %v", err)
	}
}

// The device calls, checked against what the kernel reports (Get) and ip(8).
func TestDeviceCalls(t *testing.T) {
	needRoot(t)
	d := openT(t, "gocfg0", nil)
	if d.Name() != "gocfg0" || d.Mode() != TAP {
		t.Fatalf("Name %q Mode %v", d.Name(), d.Mode())
	}
	if err := d.SetMTU(1400); err != nil {
		t.Fatalf("SetMTU: %v", err)
	}
	if mtu, err := d.MTU(); err != nil || mtu != 1400 {
		t.Fatalf("MTU = %d, %v; want 1400", mtu, err)
	}
	mac, _ := net.ParseMAC("02:00:5e:10:00:42")
	if err := d.SetMAC(mac); err != nil {
		t.Fatalf("SetMAC: %v", err)
	}
	if got, err := d.MAC(); err != nil || got.String() != mac.String() {
		t.Fatalf("MAC = %v, %v", got, err)
	}
	wantCause(t, d.SetMAC(net.HardwareAddr{1, 2, 3}), ErrAddressInvalid)
	if err := d.Up(); err != nil {
		t.Fatalf("Up: %v", err)
	}
	p := netip.MustParsePrefix("10.251.7.1/24")
	if err := d.AddAddress(p); err != nil {
		t.Fatalf("AddAddress: %v", err)
	}
	hasP := func(a *Adapter) bool {
		for _, x := range a.Addrs {
			if x == p {
				return true
			}
		}
		return false
	}
	a, err := d.Info()
	if err != nil || !a.Up || !hasP(a) {
		t.Fatalf("Info after Up and AddAddress: %+v, %v", a, err)
	}
	if err := d.DelAddress(p); err != nil {
		t.Fatalf("DelAddress: %v", err)
	}
	if err := d.Down(); err != nil {
		t.Fatalf("Down: %v", err)
	}
	if a, _ := d.Info(); a == nil || a.Up || hasP(a) {
		t.Fatalf("Info after Down and DelAddress: %+v", a)
	}
	// The frame path's failures come from the library: a write to a down adapter, a read buffer
	// too small for any frame.
	wantCause(t, func() error { _, err := d.Write(make([]byte, 60)); return err }(), ErrLinkDown)
	wantCause(t, func() error { _, err := d.Read(make([]byte, 10)); return err }(), ErrBadArgument)
	wantCause(t, d.SetOffload(OffloadCsum), ErrBadArgument)
	// Persist: the adapter outlives Close.
	if err := d.SetPersist(true); err != nil {
		t.Fatalf("SetPersist: %v", err)
	}
	d.Close()
	if a := find(t, "gocfg0"); a == nil || !a.Persist {
		t.Fatalf("gocfg0 after SetPersist(true) and Close: %+v", a)
	}
	run(t, "ip", "link", "del", "gocfg0")
	if err := d.SetMTU(1300); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("SetMTU after Close: %v", err)
	}
}

// The open options: TUN, Persist with Owner and Group, and a temporary adapter by default.
func TestOpenOptions(t *testing.T) {
	needRoot(t)
	d := openT(t, "gotun0", &OpenOptions{TUN: true})
	if a := find(t, "gotun0"); d.Mode() != TUN || a == nil || a.Mode != TUN || a.Persist {
		t.Fatalf("TUN open: mode %v, adapter %+v", d.Mode(), a)
	}
	p := openT(t, "gopers0", &OpenOptions{Persist: true, Owner: 4242, Group: 4343})
	a := find(t, "gopers0")
	if a == nil || !a.Persist || a.Owner != 4242 || a.Group != 4343 {
		t.Fatalf("Persist+Owner+Group: %+v", a)
	}
	p.Close()
	if find(t, "gopers0") == nil {
		t.Fatal("gopers0 gone after Close though opened with Persist")
	}
	run(t, "ip", "link", "del", "gopers0")
	// Owner without Persist: created for its owner, gone with the handle.
	o := openT(t, "goown1", &OpenOptions{Owner: 4242})
	if a := find(t, "goown1"); a == nil || a.Owner != 4242 || a.Persist {
		t.Fatalf("Owner without Persist: %+v", a)
	}
	o.Close()
	if a := find(t, "goown1"); a != nil {
		t.Fatalf("goown1 still there after Close: %+v", a)
	}
	_, err := Open(missingAdapter, &OpenOptions{NoCreate: true})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("NoCreate on a missing adapter: %v is not fs.ErrNotExist", err)
	}
}

// Retry on Linux: a busy adapter is not transient there (a holder does not let go by itself), so
// Retry gives the failure at once instead of waiting; the Windows tests retry error 31 (busy,
// transient) under a context that ends the wait.
func TestRetryNotTransient(t *testing.T) {
	needRoot(t)
	openT(t, "goretry0", nil)
	_, err := Open("goretry0", nil)
	if te := wantCause(t, err, ErrAdapterBusy); te.Transient {
		t.Fatalf("a busy adapter is transient on Linux now: give this test a context deadline")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err = OpenContext(ctx, "goretry0", &OpenOptions{Retry: true})
	wantCause(t, err, ErrAdapterBusy)
	if errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("Retry waited %v on a failure that is not transient: %v", time.Since(start), err)
	}
}

// vnet header users: WriteBatch three ARP requests with a zero virtio-net header each, and
// ReadBatch the kernel's replies, each behind its header.
func TestVnetBatch(t *testing.T) {
	needRoot(t)
	d := openT(t, "govnet0", &OpenOptions{VnetHdr: true})
	if err := d.SetOffload(OffloadCsum | OffloadTSO4 | OffloadTSO6); err != nil {
		t.Fatalf("SetOffload: %v", err)
	}
	run(t, "ip", "addr", "add", "10.251.9.1/24", "dev", "govnet0")
	run(t, "ip", "link", "set", "govnet0", "up")
	var frames [][]byte
	for i := 0; i < 3; i++ {
		mac := [6]byte{0x02, 0, 0, 0, 0, byte(0x10 + i)}
		f := append(make([]byte, VnetHdrLen), ethframe.ARPRequest(mac, [4]byte{10, 251, 9, byte(10 + i)}, [4]byte{10, 251, 9, 1})...)
		frames = append(frames, f)
	}
	if n, err := d.WriteBatch(frames); n != 3 || err != nil {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	bufs := make([][]byte, 8)
	for i := range bufs {
		bufs[i] = make([]byte, FrameBufMax)
	}
	sizes := make([]int, len(bufs))
	d.SetReadDeadline(time.Now().Add(5 * time.Second))
	replies := 0
	for tries := 0; tries < 50 && replies < 3; tries++ {
		n, err := d.ReadBatch(bufs, sizes)
		if err != nil {
			t.Fatalf("ReadBatch: %v (after %d replies)", err, replies)
		}
		for i := 0; i < n; i++ {
			f := bufs[i][VnetHdrLen:sizes[i]]
			if len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == 0x0806 && binary.BigEndian.Uint16(f[20:]) == 2 {
				replies++
			}
		}
	}
	if replies != 3 {
		t.Fatalf("%d ARP replies behind vnet headers, want 3", replies)
	}
}
