package main

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The test vectors of tests/interop/README.md.
func TestByteGenVectors(t *testing.T) {
	if got := hex.EncodeToString(newByteGen(genSeed).next(16)); got != "8feafe2dd82941e5457533cf8834eb92" {
		t.Errorf("first 16 bytes: %s", got)
	}
	for _, v := range []struct {
		n    int
		want string
	}{
		{1, "5e37305c587caf07e99a08e1efd0749fd3bbbb855752e4d568ac2dbfc2025464"},
		{1000, "37cec1346c78795928ac596503233d7f3f39bac04cb2364b15e4bf66aba3a37b"},
		{1 << 20, "266f2c5ec84bfb6dfd70265c2285df54a8794d6bdd9ac2eaabddbf6ba00d588e"},
		{100 << 20, "9be91fb657a7f546b44c35708ebc966a4b85854c648c87d31740af2b12ccab86"},
	} {
		sum := sha256.Sum256(newByteGen(genSeed).next(v.n))
		if got := hex.EncodeToString(sum[:]); got != v.want {
			t.Errorf("SHA-256 of the first %d bytes: %s", v.n, got)
		}
	}
}

// Pieces of odd sizes give the same stream as one piece, and the checker
// finds the first wrong byte.
func TestByteGenPieces(t *testing.T) {
	whole := newByteGen(genSeed).next(10000)
	g := newByteGen(genSeed)
	c := newGenChecker()
	off := 0
	for _, n := range []int{1, 2, 3, 5, 7, 4, 8, 13, 1000, 8957} {
		p := g.next(n)
		for i := range p {
			if p[i] != whole[off+i] {
				t.Fatalf("piece at %d differs at %d", off, off+i)
			}
		}
		if err := c.check(p); err != nil {
			t.Fatal(err)
		}
		off += n
	}
	bad := newByteGen(genSeed).next(100)
	bad[42] ^= 1
	if err := newGenChecker().check(bad); err == nil || err.Error() != "content mismatch at byte 42" {
		t.Fatalf("checker: %v", err)
	}
}
