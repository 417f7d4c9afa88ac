// SPDX-License-Identifier: MIT

// Command arpping plays a small IPv4 host behind a TAP adapter: it opens the adapter, answers
// ARP requests and pings (ICMP echo) for its address, and prints what it does. On Linux the
// kernel's side of the adapter can be given an address (-host), so `ping` from the machine (or
// the network namespace) is answered through the adapter:
//
//	arpping -adapter tkping0 -ip 10.250.9.1 -host 10.250.9.2/24   # then: ping 10.250.9.1
//
// On Windows the adapter is a TAP-Windows6 connection name or {GUID}. -probe ADAPTER sends an
// ARP request and a ping to -target through another adapter and waits for the answers (the
// Wine test uses it with the emulated driver's two cross-connected adapters).
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"time"

	tapkit "github.com/tapkit/tapkit/bindings/go"
	"github.com/tapkit/tapkit/bindings/go/internal/ethframe"
)

func main() {
	adapter := flag.String("adapter", "", "the adapter to answer on (Linux: created if absent)")
	ipFlag := flag.String("ip", "10.250.9.1", "the IPv4 address this program answers for")
	macFlag := flag.String("mac", "02:00:5e:00:53:01", "the MAC address this program answers with")
	host := flag.String("host", "", "Linux: give the adapter's kernel side this address/prefix and set it up")
	count := flag.Int("count", 0, "exit after answering this many pings (0: run until killed)")
	probe := flag.String("probe", "", "probe mode: send an ARP request and a ping through this adapter")
	target := flag.String("target", "10.250.9.1", "probe mode: the address to probe")
	flag.Parse()
	log.SetFlags(0)
	mac, err := net.ParseMAC(*macFlag)
	if err != nil {
		log.Fatalf("-mac: %v", err)
	}
	if *probe != "" {
		os.Exit(runProbe(*probe, netip.MustParseAddr(*target), mac))
	}
	ip, err := netip.ParseAddr(*ipFlag)
	if err != nil || !ip.Is4() {
		log.Fatalf("-ip %q: an IPv4 address is needed", *ipFlag)
	}
	dev, err := tapkit.Open(*adapter, nil)
	if err != nil {
		var te *tapkit.Error
		if errors.As(err, &te) {
			log.Fatalf("%v\nfix: %s", err, te.Remedy)
		}
		log.Fatal(err)
	}
	defer dev.Close()
	fmt.Printf("opened %s: answering ARP and ping for %s as %s\n", dev.Name(), ip, mac)
	if *host != "" {
		p, err := netip.ParsePrefix(*host)
		if err != nil {
			log.Fatalf("-host: %v", err)
		}
		if err := dev.AddAddress(p); err != nil {
			log.Fatal(err)
		}
		if err := dev.Up(); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: kernel side %s, up\n", dev.Name(), p)
	}
	serve(dev, ip.As4(), mac, *count)
}

// serve answers until count pings were answered (0: forever).
func serve(dev *tapkit.Device, ip [4]byte, mac net.HardwareAddr, count int) {
	buf := make([]byte, tapkit.FrameBufMax)
	pings := 0
	for count == 0 || pings < count {
		n, err := dev.Read(buf)
		if err != nil {
			log.Fatalf("read: %v", err)
		}
		f := buf[:n]
		if len(f) < 14 {
			continue
		}
		var reply []byte
		switch binary.BigEndian.Uint16(f[12:]) {
		case ethframe.ARP:
			reply = arpReply(f, ip, mac)
			if reply != nil {
				fmt.Printf("ARP: who-has %s tell %s: answered %s is-at %s\n", net.IP(ip[:]),
					net.IP(f[28:32]), net.IP(ip[:]), mac)
			}
		case ethframe.IPv4:
			reply = echoReply(f, ip, mac)
			if reply != nil {
				pings++
				fmt.Printf("ICMP: echo request from %s (id %d seq %d, %d bytes): answered\n",
					net.IP(f[26:30]), binary.BigEndian.Uint16(f[38:]), binary.BigEndian.Uint16(f[40:]), len(f)-34)
			}
		}
		if reply != nil {
			if _, err := dev.Write(reply); err != nil {
				log.Fatalf("write: %v", err)
			}
		}
	}
}

// arpReply answers an ARP request for ip (nil if f is not one).
func arpReply(f []byte, ip [4]byte, mac net.HardwareAddr) []byte {
	if len(f) < 42 || binary.BigEndian.Uint16(f[14:]) != 1 || binary.BigEndian.Uint16(f[16:]) != ethframe.IPv4 ||
		binary.BigEndian.Uint16(f[20:]) != 1 || *(*[4]byte)(f[38:42]) != ip {
		return nil
	}
	r := make([]byte, 42)
	copy(r[0:6], f[6:12])
	copy(r[6:12], mac)
	binary.BigEndian.PutUint16(r[12:], ethframe.ARP)
	copy(r[14:20], f[14:20]) // htype, ptype, hlen, plen
	binary.BigEndian.PutUint16(r[20:], 2)
	copy(r[22:28], mac)
	copy(r[28:32], ip[:])
	copy(r[32:42], f[22:32]) // the asker's MAC and IP
	return r
}

// echoReply answers an ICMP echo request to ip (nil if f is not one).
func echoReply(f []byte, ip [4]byte, mac net.HardwareAddr) []byte {
	if len(f) < 34 || f[14]>>4 != 4 {
		return nil
	}
	ihl := int(f[14]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(f[16:]))
	if ihl < 20 || total < ihl+8 || 14+total > len(f) || f[23] != 1 || *(*[4]byte)(f[30:34]) != ip {
		return nil
	}
	icmp := f[14+ihl : 14+total]
	if icmp[0] != 8 {
		return nil
	}
	r := make([]byte, 14+total)
	copy(r[0:6], f[6:12])
	copy(r[6:12], mac)
	binary.BigEndian.PutUint16(r[12:], ethframe.IPv4)
	copy(r[14:14+ihl], f[14:14+ihl])
	copy(r[26:30], ip[:])    // source: us
	copy(r[30:34], f[26:30]) // destination: the asker
	r[22] = 64               // TTL
	r[24], r[25] = 0, 0
	binary.BigEndian.PutUint16(r[24:], ethframe.Checksum(r[14:14+ihl]))
	ri := r[14+ihl:]
	copy(ri, icmp)
	ri[0] = 0 // echo reply
	ri[2], ri[3] = 0, 0
	binary.BigEndian.PutUint16(ri[2:], ethframe.Checksum(ri))
	return r
}

// runProbe sends an ARP request for target, then a ping to the MAC that answered, through
// adapter, and prints the answers. Exit code 0 when both came back within 10 s.
func runProbe(adapter string, target netip.Addr, _ net.HardwareAddr) int {
	dev, err := tapkit.Open(adapter, nil)
	if err != nil {
		log.Printf("probe: %v", err)
		return 1
	}
	defer dev.Close()
	me, _ := net.ParseMAC("02:00:5e:00:53:99")
	myIP := [4]byte{10, 250, 9, 99}
	t4 := target.As4()
	req := ethframe.ARPRequest(*(*[6]byte)(me), myIP, t4)
	dev.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, tapkit.FrameBufMax)
	var peer net.HardwareAddr
	for attempt := 0; peer == nil; attempt++ {
		if _, err := dev.Write(req); err != nil {
			log.Printf("probe: write ARP: %v", err)
			return 1
		}
		dev.SetReadDeadline(time.Now().Add(time.Second))
		for peer == nil {
			n, err := dev.Read(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) && attempt < 9 {
				break
			} else if err != nil {
				log.Printf("probe: no ARP reply: %v", err)
				return 1
			}
			f := buf[:n]
			if n >= 42 && binary.BigEndian.Uint16(f[12:]) == ethframe.ARP && binary.BigEndian.Uint16(f[20:]) == 2 &&
				*(*[4]byte)(f[28:32]) == t4 {
				peer = net.HardwareAddr(append([]byte(nil), f[22:28]...))
			}
		}
	}
	fmt.Printf("ARP reply from %s: is-at %s\n", target, peer)
	ping := ethframe.EchoRequest(*(*[6]byte)(me), *(*[6]byte)(peer), myIP, t4, 0x7a6b, "tapkit arpping!!")
	if _, err := dev.Write(ping); err != nil {
		log.Printf("probe: write ping: %v", err)
		return 1
	}
	dev.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := dev.Read(buf)
		if err != nil {
			log.Printf("probe: no echo reply: %v", err)
			return 1
		}
		f := buf[:n]
		if n >= 42 && binary.BigEndian.Uint16(f[12:]) == ethframe.IPv4 && f[23] == 1 && f[34] == 0 &&
			binary.BigEndian.Uint16(f[38:]) == 0x7a6b && ethframe.Checksum(f[34:]) == 0 && ethframe.Checksum(f[14:34]) == 0 {
			fmt.Printf("echo reply from %s: id 0x7a6b seq 1, %d bytes, checksums ok\n", net.IP(f[26:30]), n-34)
			return 0
		}
	}
}
