// SPDX-License-Identifier: MIT

//go:build windows && cgo

package tapkit

// Run under Wine against the emulated tap0901 driver (tests/windows/emulated-driver): two
// adapters, "emu one" and "emu two", cross-connected (a frame written to one is read from the
// other). tests/windows/test_go.sh installs the driver and sets TAPKIT_GO_EMU=1; without it the
// adapter tests skip. Each test opens and closes its own handles: the driver allows one handle
// per adapter.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"time"
)

const isWindows = true

const missingAdapter = "no such adapter"

const (
	emuOne   = "emu one"
	emuTwo   = "emu two"
	emuGUID1 = "{7A3E5C01-0D1B-4C2A-9E11-5A1F00000001}"
	emuGUID2 = "{7B4F6D02-0D1B-4C2A-9E11-5A1F00000002}"
)

func needEmu(t *testing.T) {
	t.Helper()
	if os.Getenv("TAPKIT_GO_EMU") == "" {
		t.Skip("needs the emulated tap0901 driver under Wine (tests/windows/test_go.sh)")
	}
}

func openT(t *testing.T, name string, opts *OpenOptions) *Device {
	t.Helper()
	d, err := Open(name, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestWinOpen(t *testing.T) {
	needEmu(t)
	d := openT(t, emuOne, nil)
	if d.Name() != emuOne || d.Mode() != TAP {
		t.Fatalf("by name: Name %q Mode %v", d.Name(), d.Mode())
	}
	if mac, err := d.MAC(); err != nil || len(mac) != 6 {
		t.Fatalf("MAC: %v, %v", mac, err)
	}
	d.Close()
	g := openT(t, emuGUID2, nil)
	if g.Name() != emuTwo {
		t.Fatalf("by GUID %s: Name %q, want %q", emuGUID2, g.Name(), emuTwo)
	}
	g.Close()
	f := openT(t, "", nil)
	if f.Name() != emuOne && f.Name() != emuTwo {
		t.Fatalf("first free: Name %q", f.Name())
	}
	t.Logf("first free adapter: %s", f.Name())
	// With emu one held, the first free one is emu two.
	f.Close()
	h := openT(t, emuOne, nil)
	f2 := openT(t, "", nil)
	if f2.Name() != emuTwo {
		t.Fatalf("first free with %q held: %q", emuOne, f2.Name())
	}
	h.Close()
	f2.Close()
	wantCause(t, func() error { _, err := Open(emuOne, &OpenOptions{MultiQueue: true}); return err }(), ErrUnsupported)
	wantCause(t, func() error { _, err := Open(emuOne, &OpenOptions{Owner: 1000}); return err }(), ErrUnsupported)
}

// frame is a TAP frame of n bytes (n >= 14) whose payload says which frame it is.
func frame(src byte, i, n int) []byte {
	f := make([]byte, n)
	copy(f, []byte{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, src, 0x88, 0xb5})
	for j := 14; j < n; j++ {
		f[j] = byte(i + j)
	}
	copy(f[14:], fmt.Sprintf("%c%05d", src, i))
	return f
}

// Frames both ways between the two emulated adapters, checked byte for byte, with one
// goroutine reading while another writes on each device.
func TestWinFrames(t *testing.T) {
	needEmu(t)
	a := openT(t, emuOne, nil)
	b := openT(t, emuTwo, nil)
	const count = 300
	for _, dir := range []struct {
		from, to *Device
		src      byte
	}{{a, b, 'A'}, {b, a, 'B'}} {
		dir.to.SetReadDeadline(time.Now().Add(20 * time.Second))
		errc := make(chan error, 1)
		read := make(chan struct{}, count) // one per frame read: the writer keeps <= 32 ahead
		go func() {
			buf := make([]byte, FrameBufMax)
			for i := 0; i < count; i++ {
				n, err := dir.to.Read(buf)
				if err != nil {
					errc <- fmt.Errorf("read %d: %w", i, err)
					return
				}
				if want := frame(dir.src, i, 60+i%1400); !bytes.Equal(buf[:n], want) {
					errc <- fmt.Errorf("frame %d: got %d bytes %x..., want %d bytes", i, n, buf[:20], len(want))
					return
				}
				read <- struct{}{}
			}
			errc <- nil
		}()
		for i := 0; i < count; i++ {
			if i >= 32 { // the driver queues 64 frames at most and drops the rest
				select {
				case <-read:
				case err := <-errc:
					t.Fatalf("%c: %v", dir.src, err)
				case <-time.After(20 * time.Second):
					t.Fatalf("%c: frame %d not read in 20 s", dir.src, i-32)
				}
			}
			if _, err := dir.from.Write(frame(dir.src, i, 60+i%1400)); err != nil {
				t.Fatalf("%c write %d: %v", dir.src, i, err)
			}
		}
		if err := <-errc; err != nil {
			t.Fatalf("%c: %v", dir.src, err)
		}
		t.Logf("%c: %d frames of 60..1459 bytes, byte for byte", dir.src, count)
	}
}

// A second open is refused as busy, with the Win32 code 31 reachable through errors.As.
func TestWinBusy(t *testing.T) {
	needEmu(t)
	openT(t, emuOne, nil)
	_, err := Open(emuOne, nil)
	te := wantCause(t, err, ErrAdapterBusy)
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno != 31 || te.OSKind != "win32" {
		t.Fatalf("errors.As to syscall.Errno: %d (kind %s), want 31", errno, te.OSKind)
	}
	if !errors.Is(err, syscall.Errno(31)) {
		t.Fatalf("errors.Is(err, syscall.Errno(31)) is false")
	}
	// Retry: 31 is transient; a context ends the wait between attempts.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = OpenContext(ctx, emuOne, &OpenOptions{Retry: true})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrAdapterBusy) {
		t.Fatalf("retry under a 30 ms context: %v", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("the retry ran %v past its context", el)
	}
	t.Logf("%v", err)
}

func TestWinNotFound(t *testing.T) {
	needEmu(t)
	_, err := Open(missingAdapter, nil)
	wantCause(t, err, ErrAdapterNotFound)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%v is not fs.ErrNotExist", err)
	}
	_, err = Get(missingAdapter)
	wantCause(t, err, ErrAdapterNotFound)
}

// A malformed GUID is ErrInvalidGUID; a well-formed one that no adapter has is not found.
func TestWinWrongGUID(t *testing.T) {
	needEmu(t)
	_, err := Open("{7A3E5C01-0D1B-4C2A-9E11}", nil)
	wantCause(t, err, ErrInvalidGUID)
	_, err = Open("{00000000-0D1B-4C2A-9E11-5A1F00000009}", nil)
	wantCause(t, err, ErrAdapterNotFound)
}

// Close from another goroutine ends a Read blocked in the library's wait; so does a deadline,
// and a deadline set while the Read waits applies at once.
func TestWinCloseUnblocksRead(t *testing.T) {
	needEmu(t)
	d := openT(t, emuOne, nil)
	buf := make([]byte, FrameBufMax)
	start := time.Now()
	d.SetReadDeadline(start.Add(150 * time.Millisecond))
	if _, err := d.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v", err)
	}
	if el := time.Since(start); el < 100*time.Millisecond || el > 5*time.Second {
		t.Fatalf("deadline Read returned after %v", el)
	}
	d.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { _, err := d.Read(buf); done <- err }()
	time.Sleep(200 * time.Millisecond)
	d.SetReadDeadline(time.Now().Add(-time.Second)) // while it waits
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read after a deadline set while waiting: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a deadline set while Read waited did not end it")
	}
	d.SetReadDeadline(time.Time{})
	go func() { _, err := d.Read(buf); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("Read without a frame returned: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	start = time.Now()
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked 5 s after Close")
	}
	t.Logf("Close ended the blocked Read in %v", time.Since(start).Round(time.Millisecond))
	// The adapter is free again.
	openT(t, emuOne, nil).Close()
}
