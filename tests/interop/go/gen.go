// The deterministic byte stream shared by every side of the interop tests
// (tests/interop/README.md, "Deterministic byte generator"): xorshift32
// with shifts 13/17/5 from the seed 0x6c703270 ("lp2p"), each state word
// emitted as 4 bytes, least significant first.
package main

import (
	"bytes"
	"fmt"
)

const genSeed = 0x6c703270

type byteGen struct {
	x    uint32
	word uint32
	left int // unread bytes of word
}

func newByteGen(seed uint32) *byteGen { return &byteGen{x: seed} }

// fill writes the next len(buf) bytes of the stream into buf.
func (g *byteGen) fill(buf []byte) []byte {
	x, word, left := g.x, g.word, g.left
	i := 0
	// the rest of a word cut short by the previous call
	for ; left > 0 && i < len(buf); i++ {
		buf[i] = byte(word)
		word >>= 8
		left--
	}
	for ; i+4 <= len(buf); i += 4 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		buf[i], buf[i+1], buf[i+2], buf[i+3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
	}
	if i < len(buf) {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		word, left = x, 4
		for ; i < len(buf); i++ {
			buf[i] = byte(word)
			word >>= 8
			left--
		}
	}
	g.x, g.word, g.left = x, word, left
	return buf
}

func (g *byteGen) next(n int) []byte { return g.fill(make([]byte, n)) }

// genChecker checks that chunks read equal the stream, in order.
type genChecker struct {
	gen     *byteGen
	offset  int64
	scratch []byte
}

func newGenChecker() *genChecker { return &genChecker{gen: newByteGen(genSeed)} }

func (c *genChecker) check(chunk []byte) error {
	if len(c.scratch) < len(chunk) {
		c.scratch = make([]byte, len(chunk))
	}
	want := c.gen.fill(c.scratch[:len(chunk)])
	if !bytes.Equal(chunk, want) {
		i := 0
		for chunk[i] == want[i] {
			i++
		}
		return fmt.Errorf("content mismatch at byte %d", c.offset+int64(i))
	}
	c.offset += int64(len(chunk))
	return nil
}
