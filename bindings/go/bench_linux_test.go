// SPDX-License-Identifier: MIT

//go:build linux && cgo

package tapkit

// The echo loop benchmark (issue 17's figure): one frame written into a TAP, forwarded by a
// Linux bridge to a second TAP and read there, per op. Once through tapkit's Device, once
// through plain *os.File on TAPs opened the way water does it (TUNSETIFF, os.NewFile), in the
// same run and namespace, each pair on a bridge of its own:
//
//	go test -run '^$' -bench Echo -benchmem      (as root: TestMain moves it into a namespace)
//
// TestNoAllocs checks that Read and Write allocate nothing in the steady state.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// echoFrame is a frame to an unknown unicast MAC, so the bridge floods it to the other port.
func echoFrame(size int) []byte {
	f := make([]byte, size)
	copy(f, []byte{0x02, 0, 0, 0, 0xbe, 0x02, 0x02, 0, 0, 0, 0xbe, 0x01, 0x88, 0xb5})
	for i := 14; i < size; i++ {
		f[i] = byte(i)
	}
	return f
}

// bridged puts the adapters into a new bridge br, all up, IPv6 off (no stray frames).
func bridged(tb testing.TB, br string, names ...string) {
	tb.Helper()
	cmds := [][]string{{"ip", "link", "add", br, "type", "bridge", "forward_delay", "0"},
		{"sysctl", "-qw", "net.ipv6.conf." + br + ".disable_ipv6=1"}}
	for _, n := range names {
		cmds = append(cmds, []string{"sysctl", "-qw", "net.ipv6.conf." + n + ".disable_ipv6=1"},
			[]string{"ip", "link", "set", n, "master", br, "up"})
	}
	cmds = append(cmds, []string{"ip", "link", "set", br, "up"})
	for _, c := range cmds {
		if out, err := sh(c...); err != nil {
			tb.Fatalf("%v: %v: %s", c, err, out)
		}
	}
	tb.Cleanup(func() { sh("ip", "link", "del", br) })
}

func sh(args ...string) ([]byte, error) {
	return exec.Command(args[0], args[1:]...).CombinedOutput()
}

// rawTAP opens a TAP as water does: /dev/net/tun, TUNSETIFF, os.NewFile (non-blocking, so the
// file waits in Go's poller).
func rawTAP(tb testing.TB, name string) *os.File {
	tb.Helper()
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		tb.Fatalf("open /dev/net/tun: %v", err)
	}
	var ifr [40]byte
	copy(ifr[:16], name)
	binary.LittleEndian.PutUint16(ifr[16:], 0x0002|0x1000) // IFF_TAP | IFF_NO_PI
	const tunsetiff = 0x400454ca
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunsetiff, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		syscall.Close(fd)
		tb.Fatalf("TUNSETIFF %s: %v", name, e)
	}
	f := os.NewFile(uintptr(fd), name)
	tb.Cleanup(func() { f.Close() })
	return f
}

type frameRW interface {
	Read([]byte) (int, error)
	Write([]byte) (int, error)
	SetReadDeadline(time.Time) error
}

func echoLoop(b *testing.B, a, z frameRW, size int) {
	frame := echoFrame(size)
	buf := make([]byte, FrameBufMax)
	// Warm up: the first frames teach the bridge (a frame of the kernel's own may come first);
	// then the frame written must arrive intact.
	z.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i, got := 0, 0; got < 10; i++ {
		if _, err := a.Write(frame); err != nil {
			b.Fatalf("write: %v", err)
		}
		n, err := z.Read(buf)
		if err != nil || i > 100 {
			b.Fatalf("read: %d bytes, %v (after %d frames, %d of them the one written)", n, err, i, got)
		}
		if bytes.Equal(buf[:n], frame) {
			got++
		}
	}
	z.SetReadDeadline(time.Time{})
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := a.Write(frame); err != nil {
			b.Fatalf("write %d: %v", i, err)
		}
		if _, err := z.Read(buf); err != nil {
			b.Fatalf("read %d: %v", i, err)
		}
	}
}

// devicePair opens PREFIXa0 and PREFIXb0 as Devices, joined by the bridge PREFIXbr0.
func devicePair(tb testing.TB, prefix string) (*Device, *Device) {
	tb.Helper()
	var devs [2]*Device
	for i, n := range []string{prefix + "a0", prefix + "b0"} {
		d, err := Open(n, nil)
		if err != nil {
			tb.Fatalf("Open(%s): %v", n, err)
		}
		tb.Cleanup(func() { d.Close() })
		devs[i] = d
	}
	bridged(tb, prefix+"br0", prefix+"a0", prefix+"b0")
	return devs[0], devs[1]
}

func benchNeedRoot(b *testing.B) {
	if os.Getenv(netnsEnv) == "" {
		b.Skip("needs root (then runs in a network namespace of its own)")
	}
}

func BenchmarkEcho(b *testing.B) {
	benchNeedRoot(b)
	for _, size := range []int{60, 1514} {
		b.Run(fmt.Sprintf("tapkit/%d", size), func(b *testing.B) {
			a, z := devicePair(b, "gobtk")
			echoLoop(b, a, z, size)
		})
		b.Run(fmt.Sprintf("osfile/%d", size), func(b *testing.B) {
			a := rawTAP(b, "gobosa0")
			z := rawTAP(b, "gobosb0")
			bridged(b, "gobosbr0", "gobosa0", "gobosb0")
			echoLoop(b, a, z, size)
		})
	}
}

// BenchmarkEchoPaired runs both loops in alternating blocks of 500 frames within one run, so
// load from other processes falls on both alike, and reports each one's ns/frame and
// speed = osfile time / tapkit time (>= 1: tapkit as fast as *os.File or faster).
func BenchmarkEchoPaired(b *testing.B) {
	benchNeedRoot(b)
	for _, size := range []int{60, 1514} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			a, z := devicePair(b, "gobpt")
			ra, rz := rawTAP(b, "gobpoa0"), rawTAP(b, "gobpob0")
			bridged(b, "gobpobr0", "gobpoa0", "gobpob0")
			frame := echoFrame(size)
			buf := make([]byte, FrameBufMax)
			loop := func(w, r frameRW, n int) time.Duration {
				start := time.Now()
				for i := 0; i < n; i++ {
					if _, err := w.Write(frame); err != nil {
						b.Fatal(err)
					}
					if _, err := r.Read(buf); err != nil {
						b.Fatal(err)
					}
				}
				return time.Since(start)
			}
			loop(a, z, 100)
			loop(ra, rz, 100)
			b.ReportAllocs()
			b.ResetTimer()
			var tk, of time.Duration
			for done := 0; done < b.N; done += 500 {
				n := b.N - done
				if n > 500 {
					n = 500
				}
				if done%1000 == 0 { // alternate which goes first
					tk += loop(a, z, n)
					of += loop(ra, rz, n)
				} else {
					of += loop(ra, rz, n)
					tk += loop(a, z, n)
				}
			}
			b.ReportMetric(float64(tk.Nanoseconds())/float64(b.N), "tapkit-ns/frame")
			b.ReportMetric(float64(of.Nanoseconds())/float64(b.N), "osfile-ns/frame")
			b.ReportMetric(float64(of)/float64(tk), "speed")
		})
	}
}

// Read and Write allocate nothing once running (not under the race detector, which does).
func TestNoAllocs(t *testing.T) {
	needRoot(t)
	if raceEnabled {
		t.Skip("the race detector allocates; make test runs this without -race too")
	}
	a, z := devicePair(t, "goall")
	frame := echoFrame(100)
	buf := make([]byte, FrameBufMax)
	for i := 0; i < 10; i++ {
		a.Write(frame)
		z.Read(buf)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := a.Write(frame); err != nil {
			t.Fatal(err)
		}
		if _, err := z.Read(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.2f allocations per Write+Read, want 0", allocs)
	}
}
