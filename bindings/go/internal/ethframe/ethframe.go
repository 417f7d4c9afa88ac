// SPDX-License-Identifier: MIT

// Package ethframe builds the few Ethernet frames the binding's tests and examples speak
// through a TAP adapter (an ARP request, an ICMP echo request) and the Internet checksum. Not
// part of the tapkit API.
package ethframe

import "encoding/binary"

// EtherTypes.
const (
	ARP  = 0x0806
	IPv4 = 0x0800
)

// ARPRequest is a broadcast ARP who-has for target from (mac, ip): 42 bytes.
func ARPRequest(mac [6]byte, ip, target [4]byte) []byte {
	f := make([]byte, 42)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], mac[:])
	binary.BigEndian.PutUint16(f[12:], ARP)
	binary.BigEndian.PutUint16(f[14:], 1) // Ethernet
	binary.BigEndian.PutUint16(f[16:], IPv4)
	f[18], f[19] = 6, 4
	binary.BigEndian.PutUint16(f[20:], 1) // request
	copy(f[22:28], mac[:])
	copy(f[28:32], ip[:])
	copy(f[38:42], target[:])
	return f
}

// EchoRequest is an IPv4 ICMP echo request from (mac, ip) to (dst, target) with id, seq 1 and
// payload, both checksums set.
func EchoRequest(mac, dst [6]byte, ip, target [4]byte, id uint16, payload string) []byte {
	f := make([]byte, 14+20+8+len(payload))
	copy(f[0:6], dst[:])
	copy(f[6:12], mac[:])
	binary.BigEndian.PutUint16(f[12:], IPv4)
	h := f[14:34]
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(len(f)-14))
	h[8], h[9] = 64, 1 // TTL, ICMP
	copy(h[12:16], ip[:])
	copy(h[16:20], target[:])
	binary.BigEndian.PutUint16(h[10:], Checksum(h))
	m := f[34:]
	m[0] = 8 // echo request
	binary.BigEndian.PutUint16(m[4:], id)
	binary.BigEndian.PutUint16(m[6:], 1)
	copy(m[8:], payload)
	binary.BigEndian.PutUint16(m[2:], Checksum(m))
	return f
}

// Checksum is the Internet checksum of b (RFC 1071): 0 over data that carries its own.
func Checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
