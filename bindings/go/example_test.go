// SPDX-License-Identifier: MIT

//go:build cgo

package tapkit_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"time"

	tapkit "github.com/tapkit/tapkit/bindings/go"
)

// A cause prints as its stable name; its meaning and general fix come from methods.
func ExampleCause() {
	fmt.Printf("%v: %s\n", tapkit.ErrAdapterBusy, tapkit.ErrAdapterBusy.Message())
	// Output: TK_E_ADAPTER_BUSY: the adapter is in use by another process
}

// A failure is an *Error: its cause, the standard library's view of it, and the fix.
func ExampleError() {
	_, err := tapkit.Get("tkexample0") // no such adapter
	var te *tapkit.Error
	if errors.As(err, &te) {
		fmt.Println(te.Cause)
		fmt.Println(errors.Is(err, tapkit.ErrAdapterNotFound), errors.Is(err, fs.ErrNotExist))
		fmt.Println(te.Remedy != "")
	}
	// Output:
	// TK_E_ADAPTER_NOT_FOUND
	// true true
	// true
}

// The library's log lines go to a hook; a failure's TraceID finds the lines that explain it.
func ExampleSetLogger() {
	var lines []tapkit.Record
	tapkit.SetLogger(func(r tapkit.Record) { lines = append(lines, r) }, tapkit.LevelInfo)
	defer tapkit.SetLogger(nil, tapkit.LevelError)
	_, err := tapkit.Get("tkexample0")
	var te *tapkit.Error
	errors.As(err, &te)
	for _, r := range lines {
		if r.TraceID == te.TraceID {
			fmt.Println(r.Level, r.Subsystem != "", r.Message != "")
			break
		}
	}
	// Output: error true true
}

// Open an adapter (created if absent on Linux), configure it, and move frames. Needs
// CAP_NET_ADMIN on Linux (or an adapter owned by the user), a TAP-Windows6 adapter on Windows.
func ExampleOpen() {
	dev, err := tapkit.Open("tap0", nil)
	if errors.Is(err, tapkit.ErrAdapterBusy) {
		var te *tapkit.Error
		errors.As(err, &te)
		log.Fatalf("%v\nheld by %s (pid %d)\nfix: %s", err, te.HolderName, te.HolderPID, te.Remedy)
	} else if err != nil {
		log.Fatal(err)
	}
	defer dev.Close()
	if err := dev.AddAddress(netip.MustParsePrefix("10.250.0.1/24")); err != nil {
		log.Fatal(err)
	}
	if err := dev.Up(); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, tapkit.FrameBufMax)
	dev.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := dev.Read(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		fmt.Println("no frame in 5 s")
		return
	}
	fmt.Printf("a %d-byte frame\n", n)
}

// The doctor's checks, in order: the first failed one is the one to fix first.
func ExampleDoctor() {
	rep, err := tapkit.Doctor("tap0")
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range rep.Failed() {
		fmt.Printf("%s %s: %s\nfix: %s\n", c.Status, c.ID, c.Summary, c.Remedy)
	}
}

// A tunnel inside the program: from a configuration (text, a file, or key by key), run until
// Ctrl-C, with its counters and a reload from another goroutine. Needs root (CAP_NET_ADMIN) on
// Linux; the same program builds for Windows, where Name is an existing TAP-Windows6 adapter.
func ExampleNewTunnel() {
	cfg, err := tapkit.ParseTunnelConfig(`
[Interface]
Name = tap0
ListenAddress = 10.0.0.1:4789
Address = 10.250.0.1/24

[Peer]
Endpoint = 10.0.0.2:4789
`)
	if err != nil {
		log.Fatal(err) // an ErrConfig naming "<string>:LINE" and what was expected
	}
	tun, err := tapkit.NewTunnel(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer tun.Close()
	go func() {
		for range time.Tick(10 * time.Second) {
			st, err := tun.Stats()
			if err != nil {
				return // os.ErrClosed
			}
			p := st.Peers[0]
			fmt.Printf("%v: %d frames in, %d out, %d unreachable\n", p.Endpoint, p.RxFrames,
				p.TxFrames, p.Drops["unreachable"])
			if p.LastSeen.IsZero() { // never answered: try its other address
				cfg.Peer(0).Set("Endpoint", "10.0.1.2:4789")
				if err := tun.Reload(cfg); err != nil {
					log.Print(err) // the running configuration stays
				}
			}
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := tun.Run(ctx); !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}
