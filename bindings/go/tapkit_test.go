// SPDX-License-Identifier: MIT

package tapkit

// The tests create real TAP adapters. As root, TestMain re-executes the test binary inside a
// network namespace of its own (`ip netns exec tkgoPID`), deleted afterwards, so the host's
// interfaces are never touched. Failures that need another user or no /dev/net/tun run this
// binary again as a helper (TAPKIT_GO_HELPER) under unshare -m and setpriv, as the CLI's netns
// tests do. Without root, only the tests that need no adapter run.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// wantCause checks err is an *Error with cause c (via errors.Is) and a fix.
func wantCause(t *testing.T, err error, c Cause) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", c.Name())
	}
	if !errors.Is(err, c) {
		t.Fatalf("error %v: not %s", err, c.Name())
	}
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a *tapkit.Error", err)
	}
	if te.Remedy == "" || te.Message == "" || te.Op == "" {
		t.Fatalf("error %+v lacks op, message or remedy", te)
	}
	t.Logf("%s: %v\n  fix: %s", c.Name(), err, te.Remedy)
	return te
}

func TestCausesMatchLibrary(t *testing.T) {
	for c := Cause(1); c < causeCount; c++ {
		if !strings.HasPrefix(c.Name(), "TK_E_") || c.Error() == "" {
			t.Errorf("cause %d: name %q, message %q", int(c), c.Name(), c.Error())
		}
	}
	if n := Cause(causeCount).Name(); n != "TK_E_UNKNOWN" {
		t.Errorf("causeCount %d is a known cause %s: causes.go is behind include/tapkit.h", causeCount, n)
	}
	for c, name := range map[Cause]string{ErrAdapterBusy: "TK_E_ADAPTER_BUSY",
		ErrTunMissing: "TK_E_TUN_MISSING", ErrInterrupted: "TK_E_INTERRUPTED",
		ErrNotTAP: "TK_E_NOT_TAP", ErrConfig: "TK_E_CONFIG"} {
		if c.Name() != name {
			t.Errorf("%d is %s, want %s", int(c), c.Name(), name)
		}
	}
}

func TestNameInvalid(t *testing.T) {
	_, err := Open("a/b", nil)
	wantCause(t, err, ErrNameInvalid)
	_, err = Doctor("abcdefghijklmnop")
	wantCause(t, err, ErrNameInvalid)
}

// arpRequest is a broadcast ARP who-has for target from (mac, ip).
func arpRequest(mac [6]byte, ip, target [4]byte) []byte {
	f := make([]byte, 42)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], mac[:])
	binary.BigEndian.PutUint16(f[12:], 0x0806)
	binary.BigEndian.PutUint16(f[14:], 1)      // Ethernet
	binary.BigEndian.PutUint16(f[16:], 0x0800) // IPv4
	f[18], f[19] = 6, 4
	binary.BigEndian.PutUint16(f[20:], 1) // request
	copy(f[22:28], mac[:])
	copy(f[28:32], ip[:])
	copy(f[38:42], target[:])
	return f
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
	if _, err := rwc.Write(arpRequest(peer, [4]byte{10, 251, 0, 2}, [4]byte{10, 251, 0, 1})); err != nil {
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
