// Random multiaddrs for the cross-check corpus, in binary, with the shapes
// of tests/interop/c/random_ma.c and js/xcheck-ma.mjs (the same generator:
// a seed gives the JS generator's multiaddrs), and the seeded generator.
package main

import (
	"encoding/binary"
)

// splitmix64, so that a corpus can be made again from its seed.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) below(n int) int  { return int(r.next() % uint64(n)) }
func (r *rng) oneIn(n int) bool { return r.below(n) == 0 }
func (r *rng) pick(l []string) string {
	return l[r.below(len(l))]
}

func (r *rng) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.next())
	}
	return b
}

// Protocol codes (multicodec table).
var maCode = map[string]uint64{
	"ip4": 0x04, "tcp": 0x06, "dccp": 0x21, "ip6": 0x29, "ip6zone": 0x2a,
	"ipcidr": 0x2b, "dns": 0x35, "dns4": 0x36, "dns6": 0x37, "dnsaddr": 0x38,
	"sctp": 0x84, "udp": 0x0111, "webrtc-direct": 0x0118, "webrtc": 0x0119,
	"p2p-circuit": 0x0122, "udt": 0x012d, "utp": 0x012e, "unix": 0x0190,
	"p2p": 0x01a5, "https": 0x01bb, "tls": 0x01c0, "sni": 0x01c1,
	"noise": 0x01c6, "quic": 0x01cc, "quic-v1": 0x01cd, "webtransport": 0x01d1,
	"certhash": 0x01d2, "ws": 0x01dd, "wss": 0x01de, "http": 0x01e0,
}

// Sizes of the fixed-size values; flags (no value) are in maFlags, the
// rest take a length prefix.
var maFixed = map[string]bool{"ip4": true, "ip6": true, "tcp": true, "udp": true,
	"dccp": true, "sctp": true, "ipcidr": true}

var maFlags = []string{"webrtc-direct", "webrtc", "p2p-circuit", "udt", "utp", "https",
	"tls", "noise", "quic", "quic-v1", "webtransport", "ws", "wss", "http"}

func isFlag(name string) bool {
	for _, f := range maFlags {
		if f == name {
			return true
		}
	}
	return false
}

var oddBits = []string{"A", "Z", "_", "%", "%41", ":", " ", "~", "\"", "\\", "@", "+",
	"\u00fc", "\u4e2d", "\U0001f600"}

func chars(s string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

var (
	labelChars   = chars("abcdefghijklmnopqrstuvwxyz0123456789-")
	segmentChars = chars("abcdefghijklmnopqrstuvwxyz0123456789._-")
)

func randomName(r *rng) []byte {
	var max int
	if r.oneIn(40) {
		max = 200 + r.below(56)
	} else {
		max = 1 + r.below(40)
	}
	s := ""
	add := func(t string) {
		if len(s)+len(t) <= max {
			s += t
		}
	}
	labels := 1 + r.below(4)
	for l := 0; l < labels; l++ {
		if l > 0 {
			add(".")
		}
		n := 1 + r.below(12)
		for i := 0; i < n; i++ {
			if r.oneIn(30) {
				add(r.pick(oddBits))
			} else {
				add(r.pick(labelChars))
			}
		}
	}
	for r.oneIn(3) {
		add(r.pick(labelChars))
	}
	if s == "" {
		s = "x"
	}
	return []byte(s)
}

func randomPath(r *rng) []byte {
	s := ""
	segs := 1 + r.below(5)
	for i := 0; i < segs; i++ {
		s += "/"
		n := 1 + r.below(10)
		for j := 0; j < n; j++ {
			if r.oneIn(25) {
				s += r.pick(oddBits)
			} else {
				s += r.pick(segmentChars)
			}
		}
	}
	return []byte(s)
}

// maBuilder: a multiaddr under construction, in binary.
type maBuilder struct {
	b []byte
}

func (m *maBuilder) push(name string, value ...byte) {
	part := binary.AppendUvarint(nil, maCode[name])
	if !maFixed[name] && !isFlag(name) {
		part = binary.AppendUvarint(part, uint64(len(value)))
	}
	part = append(part, value...)
	if len(m.b)+len(part) > 512 { // as lp2p's limit
		return
	}
	m.b = append(m.b, part...)
}

func maIP4(r *rng, b *maBuilder) {
	special := [][]byte{{0, 0, 0, 0}, {127, 0, 0, 1}, {255, 255, 255, 255}, {10, 0, 0, 1}, {192, 168, 1, 254}}
	if r.oneIn(6) {
		b.push("ip4", special[r.below(len(special))]...)
	} else {
		b.push("ip4", r.bytes(4)...)
	}
}

func maIP6(r *rng, b *maBuilder) {
	a := make([]byte, 16)
	switch r.below(9) {
	case 0:
		a = r.bytes(16)
	case 1, 2:
		for w := 0; w < 8; w++ {
			if r.oneIn(2) {
				continue
			}
			if r.oneIn(2) {
				a[2*w] = 0
			} else {
				a[2*w] = byte(r.below(256))
			}
			a[2*w+1] = byte(r.below(256))
		}
	case 3:
		a[10], a[11] = 0xff, 0xff
		copy(a[12:], r.bytes(4))
	case 4:
		copy(a[12:], r.bytes(4))
	case 5:
		a[15] = byte(r.below(3))
		if r.oneIn(3) {
			a[14] = byte(r.below(256))
		}
	case 6:
		a[0], a[1] = 0xfe, 0x80
		copy(a[8:], r.bytes(8))
	case 7:
		a[1], a[2], a[3] = 0x64, 0xff, 0x9b
		copy(a[12:], r.bytes(4))
	default:
		copy(a, []byte{0x20, 0x01, 0x0d, 0xb8})
		copy(a[4:], r.bytes(12))
		w := 2 + r.below(6)
		a[2*w], a[2*w+1] = 0, 0
	}
	b.push("ip6", a...)
}

func maPort(r *rng, b *maBuilder, name string) {
	special := []int{0, 1, 80, 443, 4001, 65535}
	var p int
	if r.oneIn(4) {
		p = special[r.below(len(special))]
	} else {
		p = r.below(65536)
	}
	b.push(name, byte(p>>8), byte(p))
}

func maPeer(r *rng, b *maBuilder) {
	switch r.below(3) {
	case 0:
		b.push("p2p", append([]byte{0x00, 0x24, 0x08, 0x01, 0x12, 0x20}, r.bytes(32)...)...)
	case 1:
		b.push("p2p", append([]byte{0x00, 0x25, 0x08, 0x02, 0x12, 0x21, 0x02}, r.bytes(32)...)...)
	default:
		b.push("p2p", append([]byte{0x12, 0x20}, r.bytes(32)...)...)
	}
}

func maCerthash(r *rng, b *maBuilder) {
	switch r.below(4) {
	case 0:
		n := r.below(20)
		b.push("certhash", append([]byte{0x00, byte(n)}, r.bytes(n)...)...)
	case 1:
		b.push("certhash", append([]byte{0x13, 64}, r.bytes(64)...)...)
	default:
		b.push("certhash", append([]byte{0x12, 32}, r.bytes(32)...)...)
	}
}

func maHost(r *rng, b *maBuilder) {
	switch r.below(10) {
	case 0, 1, 2:
		maIP4(r, b)
	case 3, 4:
		maIP6(r, b)
	case 5:
		b.push("ip6zone", randomName(r)...)
		maIP6(r, b)
	case 6:
		b.push("dns", randomName(r)...)
	case 7:
		b.push("dns4", randomName(r)...)
	case 8:
		b.push("dns6", randomName(r)...)
	default:
		maIP4(r, b)
		if r.oneIn(2) {
			b.push("ipcidr", byte(r.below(33)))
		}
	}
}

func maTransport(r *rng, b *maBuilder) {
	maHost(r, b)
	if r.oneIn(2) {
		maPort(r, b, "tcp")
		if r.oneIn(3) {
			b.push("tls")
			if r.oneIn(2) {
				b.push("sni", randomName(r)...)
			}
		}
		if r.oneIn(2) {
			b.push(r.pick([]string{"ws", "wss", "http", "https", "noise"}))
		}
	} else {
		maPort(r, b, "udp")
		switch r.below(4) {
		case 0:
			b.push("quic")
		case 1:
			b.push("webrtc-direct")
			maCerthash(r, b)
		default:
			b.push("quic-v1")
			if r.oneIn(2) {
				b.push("webtransport")
				for n := r.below(3); n > 0; n-- {
					maCerthash(r, b)
				}
			}
		}
	}
}

func maAny(r *rng, b *maBuilder) {
	switch r.below(8) {
	case 0:
		maIP4(r, b)
	case 1:
		maIP6(r, b)
	case 2:
		b.push(r.pick([]string{"ip6zone", "dns", "dns4", "dns6", "dnsaddr", "sni"}), randomName(r)...)
	case 3:
		maPort(r, b, r.pick([]string{"tcp", "udp", "dccp", "sctp"}))
	case 4:
		maPeer(r, b)
	case 5:
		maCerthash(r, b)
	case 6:
		b.push("ipcidr", byte(r.below(256)))
	default:
		b.push(r.pick(maFlags))
	}
}

// randomMultiaddr: the binary form of a random multiaddr (never empty).
func randomMultiaddr(r *rng) []byte {
	for {
		b := &maBuilder{}
		switch r.below(10) {
		case 0:
			maTransport(r, b)
			maPeer(r, b)
			b.push("p2p-circuit")
			if r.oneIn(3) {
				b.push("webrtc")
			} else if r.oneIn(2) {
				maPeer(r, b)
			}
		case 1:
			b.push("dnsaddr", randomName(r)...)
			if r.oneIn(2) {
				maPeer(r, b)
			}
		case 2:
			// go (and lp2p) take nothing after a unix path
			b.push("unix", randomPath(r)...)
		case 3, 4:
			for n := 1 + r.below(8); n > 0; n-- {
				maAny(r, b)
			}
		default:
			maTransport(r, b)
			if r.oneIn(2) {
				maPeer(r, b)
			}
		}
		if len(b.b) > 0 {
			return b.b
		}
	}
}
