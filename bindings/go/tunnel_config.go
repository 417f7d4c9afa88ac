// SPDX-License-Identifier: MIT

//go:build cgo

package tapkit

/*
#include "tapkit_go.h"
*/
import "C"

import (
	"os"
	"runtime"
	"sync"
	"unsafe"
)

// TunnelConfig is a tunnel's configuration (the format of docs/tunnel.md: an [Interface]
// section and [Peer] sections), read from text or a file or built key by key; the zero value is
// an empty configuration. Every value is checked by the C library when it is given, with its
// words: an *Error with ErrConfig whose Object is FILE:LINE for a file ("<string>:LINE" for
// ParseTunnelConfig) or the key for Set. A refused value changes nothing.
//
// A TunnelConfig is a recipe that stays usable: NewTunnel and Reload make the engine's own
// configuration from it again, on the tunnel's thread (reading PrivateKeyFile again), so one
// TunnelConfig can start a tunnel, be changed, and be given to Reload. Its methods are safe for
// concurrent use.
type TunnelConfig struct {
	mu sync.Mutex
	r  tunnelRecipe
	h  *tunnelConfigC // the checked C copy; nil until first used
}

// tunnelConfigC holds the C side of a TunnelConfig; a finalizer frees it (and wipes the private
// key it may hold), so a TunnelConfig can be embedded and copied before use.
type tunnelConfigC struct {
	ctx *C.tk_ctx
	c   *C.tk_tunnel_config
}

// tunnelRecipe is what makes a C configuration: the text (or nothing: tk_tunnel_config_new)
// and the calls made on it since, in order.
type tunnelRecipe struct {
	parsed bool
	text   []byte
	origin string
	ops    []tunnelOp
}

type tunnelOpKind int

const (
	opSet tunnelOpKind = iota
	opAddPeer
	opPeerSet
)

type tunnelOp struct {
	kind       tunnelOpKind
	peer       int
	key, value string
}

// ParseTunnelConfig reads a configuration from text (errors name it "<string>:LINE"). A
// relative PrivateKeyFile is taken from the working directory.
func ParseTunnelConfig(text string) (*TunnelConfig, error) {
	return newTunnelConfig(tunnelRecipe{parsed: true, text: []byte(text)})
}

// LoadTunnelConfig reads the configuration file path (errors name it "PATH:LINE"; a missing
// file is ErrConfig with the errno, so errors.Is(err, fs.ErrNotExist) holds). A relative
// PrivateKeyFile is taken from the file's directory.
func LoadTunnelConfig(path string) (*TunnelConfig, error) {
	// The library reads it first, for its own errors (open, size); the recipe keeps the text,
	// so a Reload later applies what was read here, not what the file says then.
	ctx, err := newCtx()
	if err != nil {
		return nil, err
	}
	defer C.tk_ctx_free(ctx)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var c *C.tk_tunnel_config
	var cerr C.tk_error
	if C.tk_tunnel_config_load(ctx, cpath, &c, &cerr) != C.TK_E_OK {
		return nil, goError(&cerr)
	}
	C.tk_tunnel_config_free(c)
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return newTunnelConfig(tunnelRecipe{parsed: true, text: text, origin: path})
}

func newTunnelConfig(r tunnelRecipe) (*TunnelConfig, error) {
	cfg := &TunnelConfig{r: r}
	if err := cfg.init(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// init makes the C copy from the recipe (under mu, or before cfg is shared).
func (cfg *TunnelConfig) init() error {
	if cfg.h != nil {
		return nil
	}
	ctx, err := newCtx()
	if err != nil {
		return err
	}
	c, err := cfg.r.build(ctx)
	if err != nil {
		C.tk_ctx_free(ctx)
		return err
	}
	cfg.h = &tunnelConfigC{ctx: ctx, c: c}
	runtime.SetFinalizer(cfg.h, func(h *tunnelConfigC) {
		C.tk_tunnel_config_free(h.c)
		C.tk_ctx_free(h.ctx)
	})
	return nil
}

// build makes a C configuration from the recipe, with ctx for its log lines.
func (r *tunnelRecipe) build(ctx *C.tk_ctx) (*C.tk_tunnel_config, error) {
	var c *C.tk_tunnel_config
	var cerr C.tk_error
	var st C.tk_status
	if r.parsed {
		var origin *C.char
		if r.origin != "" {
			origin = C.CString(r.origin)
			defer C.free(unsafe.Pointer(origin))
		}
		text := C.CBytes(r.text)
		defer C.free(text)
		st = C.tk_tunnel_config_parse(ctx, (*C.char)(text), C.size_t(len(r.text)), origin, &c, &cerr)
	} else {
		st = C.tk_tunnel_config_new(ctx, &c, &cerr)
	}
	if st != C.TK_E_OK {
		return nil, goError(&cerr)
	}
	for i := range r.ops {
		if _, err := r.ops[i].apply(c); err != nil {
			C.tk_tunnel_config_free(c)
			return nil, err
		}
	}
	return c, nil
}

// apply makes one call on c; the index is the new peer's for opAddPeer.
func (op *tunnelOp) apply(c *C.tk_tunnel_config) (int, error) {
	var cerr C.tk_error
	var st C.tk_status
	var index C.size_t
	key, value := C.CString(op.key), C.CString(op.value)
	defer C.free(unsafe.Pointer(key))
	defer C.free(unsafe.Pointer(value))
	switch op.kind {
	case opSet:
		st = C.tk_tunnel_config_set(c, key, value, &cerr)
	case opAddPeer:
		st = C.tk_tunnel_config_add_peer(c, &index, &cerr)
	case opPeerSet:
		// a negative index becomes one no peer has: the library says "no such peer"
		st = C.tk_tunnel_config_peer_set(c, C.size_t(op.peer), key, value, &cerr)
	}
	if st != C.TK_E_OK {
		return 0, goError(&cerr)
	}
	return int(index), nil
}

// do applies op to the C copy and, if the library takes it, adds it to the recipe.
func (cfg *TunnelConfig) do(op tunnelOp) (int, error) {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	if err := cfg.init(); err != nil {
		return 0, err
	}
	index, err := op.apply(cfg.h.c)
	if err == nil {
		cfg.r.ops = append(cfg.r.ops, op)
	}
	return index, err
}

// recipe is a copy of the recipe, for a tunnel's thread.
func (cfg *TunnelConfig) recipe() tunnelRecipe {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	r := cfg.r
	r.ops = append([]tunnelOp(nil), cfg.r.ops...)
	return r
}

// Set sets one [Interface] key from its text, as in a file: "Name", "Mode", "VNI",
// "ListenAddress", "ListenPort", "PrivateKeyFile", "MTU", "Address" (adds one), "MACAddress",
// "MACTableSize", "MACAge", "Forward", "ControlSocket", "User". ErrConfig with Object = the key
// and the expected form in Message when the value is wrong.
func (cfg *TunnelConfig) Set(key, value string) error {
	_, err := cfg.do(tunnelOp{kind: opSet, key: key, value: value})
	return err
}

// AddPeer adds an empty [Peer] section; set its keys with the returned peer's Set.
func (cfg *TunnelConfig) AddPeer() (*TunnelPeerConfig, error) {
	index, err := cfg.do(tunnelOp{kind: opAddPeer})
	if err != nil {
		return nil, err
	}
	return &TunnelPeerConfig{cfg: cfg, index: index}, nil
}

// Peer is the peer at index (0 is the first [Peer] of the text, then those AddPeer added), for
// changing its keys; Set fails with ErrConfig if there is no such peer.
func (cfg *TunnelConfig) Peer(index int) *TunnelPeerConfig {
	return &TunnelPeerConfig{cfg: cfg, index: index}
}

// Check checks what the keys mean together (sealed mode needs keys, the families of the listen
// address and the peers must meet, no peer twice) and reads the private key file (refused when
// others may read it). NewTunnel and Reload check too; Check lets a program report a bad
// configuration before it starts anything.
func (cfg *TunnelConfig) Check() error {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	if err := cfg.init(); err != nil {
		return err
	}
	var cerr C.tk_error
	if C.tk_tunnel_config_check(cfg.h.c, &cerr) != C.TK_E_OK {
		return goError(&cerr)
	}
	return nil
}

// Name is the adapter's name (Name =), "" until set.
func (cfg *TunnelConfig) Name() string {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	if cfg.h == nil {
		return ""
	}
	return C.GoString(C.tk_tunnel_config_name(cfg.h.c))
}

// TunnelPeerConfig is one [Peer] of a TunnelConfig.
type TunnelPeerConfig struct {
	cfg   *TunnelConfig
	index int
}

// Index is the peer's index: its place in TunnelStats.Peers.
func (p *TunnelPeerConfig) Index() int { return p.index }

// Set sets one [Peer] key: "Endpoint" (numeric ADDRESS[:PORT] or [IPV6]:PORT), "PublicKey"
// (sealed mode: the peer's PublicKey), "AllowedMACs" (adds).
func (p *TunnelPeerConfig) Set(key, value string) error {
	_, err := p.cfg.do(tunnelOp{kind: opPeerSet, peer: p.index, key: key, value: value})
	return err
}

// GenerateKey returns a new private key for sealed mode: X25519, base64 (44 characters), as
// `tapkit genkey` or `wg genkey` print it. Write it to a file of mode 0600 for PrivateKeyFile.
func GenerateKey() (string, error) {
	out := (*C.char)(C.calloc(C.TK_KEY_TEXT_MAX, 1))
	defer C.free(unsafe.Pointer(out))
	defer C.tk_key_wipe(unsafe.Pointer(out), C.TK_KEY_TEXT_MAX)
	var cerr C.tk_error
	if C.tk_key_generate(out, &cerr) != C.TK_E_OK {
		return "", goError(&cerr)
	}
	return C.GoString(out), nil
}

// PublicKey returns the public key of a private key given as text (spaces and a final newline
// allowed), as `tapkit pubkey` prints it: the peers' PublicKey.
func PublicKey(private string) (string, error) {
	in := C.CString(private)
	defer C.free(unsafe.Pointer(in))
	defer C.tk_key_wipe(unsafe.Pointer(in), C.size_t(len(private)))
	out := (*C.char)(C.calloc(C.TK_KEY_TEXT_MAX, 1))
	defer C.free(unsafe.Pointer(out))
	var cerr C.tk_error
	if C.tk_key_public(in, C.size_t(len(private)), out, &cerr) != C.TK_E_OK {
		return "", goError(&cerr)
	}
	return C.GoString(out), nil
}
