// Cross-check of lp2p's keys, signatures, peer ids and multiaddrs against
// go-libp2p's own libraries (core/crypto, core/peer, go-multiaddr): the go
// counterpart of js/xcheck.mjs, with the same corpus format.
//
//	lp2p-go-peer xcheck gen N [SEED]   write a go-made corpus to stdout
//	lp2p-go-peer xcheck verify FILE    check a corpus made by lp2p (or js)
//
// go follows the peer-ids spec for ECDSA (SubjectPublicKeyInfo public
// keys, DER signatures), so unlike xcheck.mjs nothing is converted: every
// field of every record is compared as it is.
package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

type keyKind struct {
	typ      int
	name     string
	curve    string
	bits     int
	perMille int
}

var keyKinds = []keyKind{
	{crypto.Ed25519, "ed25519", "", 0, 1000},
	{crypto.Secp256k1, "secp256k1", "", 0, 1000},
	{crypto.ECDSA, "ecdsa", "P-256", 0, 1000},
	{crypto.ECDSA, "ecdsa", "P-384", 0, 250},
	{crypto.ECDSA, "ecdsa", "P-521", 0, 250},
	{crypto.RSA, "rsa", "", 2048, 125},
}

const multiaddrsPerN = 25

var curves = map[string]elliptic.Curve{
	"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521(),
}

var keyTypeByName = map[string]int{
	"ed25519": crypto.Ed25519, "secp256k1": crypto.Secp256k1,
	"ecdsa": crypto.ECDSA, "rsa": crypto.RSA,
}

// ecdsaPoint: the uncompressed point 04||x||y of an ECDSA key.
func ecdsaPoint(k crypto.PubKey) ([]byte, error) {
	std, err := crypto.PubKeyToStdKey(k)
	if err != nil {
		return nil, err
	}
	pk, ok := std.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("not an ECDSA key: %T", std)
	}
	e, err := pk.ECDH()
	if err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// ---- gen ----

func randomMessage(r *rng) []byte {
	if r.oneIn(8) {
		return []byte{}
	}
	if r.oneIn(10) {
		return r.bytes(1000 + r.below(8192-1000))
	}
	return r.bytes(r.below(300))
}

func genKey(r *rng, k keyKind) error {
	var priv crypto.PrivKey
	var err error
	if k.curve != "" {
		priv, _, err = crypto.GenerateECDSAKeyPairWithCurve(curves[k.curve], rand.Reader)
	} else {
		bits := -1
		if k.bits > 0 {
			bits = k.bits
		}
		priv, _, err = crypto.GenerateKeyPair(k.typ, bits)
	}
	if err != nil {
		return err
	}
	msg := randomMessage(r)
	sig, err := priv.Sign(msg)
	if err != nil {
		return err
	}
	pub := priv.GetPublic()
	rec := obj{{"kind", "key"}, {"type", k.name}}
	if k.curve != "" {
		point, err := ecdsaPoint(pub)
		if err != nil {
			return err
		}
		rec = append(rec, kv{"curve", k.curve}, kv{"point", hex.EncodeToString(point)})
	}
	pubBytes, err := crypto.MarshalPublicKey(pub)
	if err != nil {
		return err
	}
	privBytes, err := crypto.MarshalPrivateKey(priv)
	if err != nil {
		return err
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		return err
	}
	rec = append(rec, kv{"pub", hex.EncodeToString(pubBytes)},
		kv{"priv", hex.EncodeToString(privBytes)},
		kv{"msg", hex.EncodeToString(msg)}, kv{"sig", hex.EncodeToString(sig)},
		kv{"id", id.String()}, kv{"cid", peer.ToCid(id).String()})
	emit(rec)
	return nil
}

func xcheckGen(n int, seed uint64) int {
	r := &rng{s: seed}
	fmt.Fprintf(os.Stderr, "lp2p-go-peer xcheck gen: seed %d\n", seed)
	for _, k := range keyKinds {
		count := (n*k.perMille + 999) / 1000
		for i := 0; i < count; i++ {
			if err := genKey(r, k); err != nil {
				fmt.Fprintf(os.Stderr, "lp2p-go-peer xcheck gen: %s key: %v\n", k.name, err)
				return 2
			}
		}
	}
	refused := 0
	for i := 0; i < n*multiaddrsPerN; i++ {
		b := randomMultiaddr(r)
		m, err := ma.NewMultiaddrBytes(b)
		if err != nil {
			// a shape go refuses: left out of the corpus, but said
			refused++
			fmt.Fprintf(os.Stderr, "lp2p-go-peer xcheck gen: go refuses %x: %v\n", b, err)
			continue
		}
		if !bytes.Equal(m.Bytes(), b) {
			fmt.Fprintf(os.Stderr, "lp2p-go-peer xcheck gen: go rewrites %x as %x\n", b, m.Bytes())
		}
		emit(obj{{"kind", "ma"}, {"hex", hex.EncodeToString(m.Bytes())}, {"str", m.String()}})
	}
	if refused > 0 {
		fmt.Fprintf(os.Stderr, "lp2p-go-peer xcheck gen: %d random multiaddrs refused by go-multiaddr\n", refused)
	}
	return 0
}

// ---- verify ----

type verifier struct {
	file       string
	line       int
	mismatches int
	keys       int
	multiaddrs int
}

func (v *verifier) fail(format string, args ...any) {
	fmt.Printf("MISMATCH %s:%d: %s\n", v.file, v.line, fmt.Sprintf(format, args...))
	v.mismatches++
}

func (v *verifier) hexField(rec map[string]string, name string) ([]byte, bool) {
	s, ok := rec[name]
	if !ok {
		v.fail("record without %q", name)
		return nil, false
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		v.fail("%q is not hex", name)
		return nil, false
	}
	return b, true
}

func verifies(k crypto.PubKey, msg, sig []byte) bool {
	ok, err := k.Verify(msg, sig)
	return err == nil && ok
}

// rsaConsistent: n = pq, d inverts e mod lcm(p-1, q-1), and dp, dq, qinv
// are d mod (p-1), d mod (q-1), q^-1 mod p.
func rsaConsistent(k *rsa.PrivateKey) bool {
	if len(k.Primes) != 2 {
		return false
	}
	one := big.NewInt(1)
	p, q := k.Primes[0], k.Primes[1]
	p1 := new(big.Int).Sub(p, one)
	q1 := new(big.Int).Sub(q, one)
	g := new(big.Int).GCD(nil, nil, p1, q1)
	lcm := new(big.Int).Div(new(big.Int).Mul(p1, q1), g)
	ed1 := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(int64(k.E)), k.D), one)
	pq := new(big.Int).Mul(p, q)
	qi := new(big.Int).Mod(new(big.Int).Mul(k.Precomputed.Qinv, q), p)
	return pq.Cmp(k.N) == 0 && new(big.Int).Mod(ed1, lcm).Sign() == 0 &&
		new(big.Int).Mod(k.D, p1).Cmp(k.Precomputed.Dp) == 0 &&
		new(big.Int).Mod(k.D, q1).Cmp(k.Precomputed.Dq) == 0 && qi.Cmp(one) == 0
}

func (v *verifier) key(rec map[string]string) {
	v.keys++
	typ := rec["type"]
	want, ok := keyTypeByName[typ]
	if !ok {
		v.fail("unknown key type %q", typ)
		return
	}
	pubBytes, ok1 := v.hexField(rec, "pub")
	privBytes, ok2 := v.hexField(rec, "priv")
	msg, ok3 := v.hexField(rec, "msg")
	sig, ok4 := v.hexField(rec, "sig")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return
	}

	// The private key reads and writes back the same bytes.
	priv, err := crypto.UnmarshalPrivateKey(privBytes)
	if err != nil {
		v.fail("%s private key does not unmarshal: %v", typ, err)
		return
	}
	if int(priv.Type()) != want {
		v.fail("%s private key unmarshals as %s", typ, priv.Type())
	}
	if again, err := crypto.MarshalPrivateKey(priv); err != nil || !bytes.Equal(again, privBytes) {
		v.fail("%s private key marshals back differently (%v)", typ, err)
	}
	if typ == "rsa" {
		std, err := crypto.PrivKeyToStdKey(priv)
		if rk, ok := std.(*rsa.PrivateKey); err != nil || !ok || !rsaConsistent(rk) {
			v.fail("RSA private key: inconsistent CRT values")
		}
	}

	// The public key: reads, writes back the same bytes, and is the
	// private key's.
	pub, err := crypto.UnmarshalPublicKey(pubBytes)
	if err != nil {
		v.fail("%s public key does not unmarshal: %v", typ, err)
		return
	}
	if again, err := crypto.MarshalPublicKey(pub); err != nil || !bytes.Equal(again, pubBytes) {
		v.fail("%s public key marshals back differently (%v)", typ, err)
	}
	if !pub.Equals(priv.GetPublic()) {
		v.fail("%s private key gives another public key", typ)
	}
	if typ == "ecdsa" {
		point, ok := v.hexField(rec, "point")
		if mine, err := ecdsaPoint(pub); ok && (err != nil || !bytes.Equal(mine, point)) {
			v.fail("ECDSA public key holds another point than \"point\" (%v)", err)
		}
		if std, err := crypto.PubKeyToStdKey(pub); err == nil {
			if name := std.(*ecdsa.PublicKey).Curve.Params().Name; name != rec["curve"] {
				v.fail("ECDSA key on %s, record says %s", name, rec["curve"])
			}
		}
	}

	// The signature verifies as it is (DER for ECDSA); a tampered one,
	// or a changed message, does not.
	if ok, err := pub.Verify(msg, sig); err != nil || !ok {
		v.fail("%s signature does not verify (%v)", typ, err)
	} else {
		bad := bytes.Clone(sig)
		bad[len(bad)>>1] ^= 0x10
		if verifies(pub, msg, bad) {
			v.fail("%s: a tampered signature verifies", typ)
		}
		badMsg := make([]byte, max(len(msg), 1))
		copy(badMsg, msg)
		if len(msg) > 0 {
			badMsg[len(msg)>>1] ^= 0x01
		}
		if verifies(pub, badMsg, sig) {
			v.fail("%s: the signature verifies a changed message", typ)
		}
	}

	// go signs with the private key: Ed25519 and RSA PKCS#1 v1.5 are
	// deterministic, so go must make the very same bytes.
	mine, err := priv.Sign(msg)
	if err != nil || !verifies(pub, msg, mine) {
		v.fail("%s: go's signature with the private key does not verify (%v)", typ, err)
	} else if (typ == "ed25519" || typ == "rsa") && !bytes.Equal(mine, sig) {
		v.fail("%s: go signs the message with other bytes", typ)
	}

	// Peer ids: the same strings from the key, and both strings parse.
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		v.fail("%s: no peer id from the key: %v", typ, err)
		return
	}
	recID, recCID := rec["id"], rec["cid"]
	if recID == "" && recCID == "" {
		if typ != "ecdsa" { // js makes none for ECDSA
			v.fail("%s record without a peer id", typ)
		}
		return
	}
	if id.String() != recID {
		v.fail("%s peer id %s, go %s", typ, recID, id)
	}
	if c := peer.ToCid(id).String(); c != recCID {
		v.fail("%s CID peer id %s, go %s", typ, recCID, c)
	}
	parsed, err := peer.Decode(recID)
	if err != nil {
		v.fail("go cannot parse peer id %s: %v", recID, err)
		return
	}
	if parsed.String() != recID {
		v.fail("peer id %s prints as %s", recID, parsed)
	}
	if c := peer.ToCid(parsed).String(); c != recCID {
		v.fail("peer id %s has CID %s, record %s", recID, c, recCID)
	}
	if fromCID, err := peer.Decode(recCID); err != nil || fromCID != parsed {
		v.fail("CID %s is not peer id %s (%v)", recCID, recID, err)
	}
	if !parsed.MatchesPublicKey(pub) {
		v.fail("%s: peer id %s does not match its key", typ, recID)
	}
	inlined, err := parsed.ExtractPublicKey()
	switch {
	case typ == "ed25519" || typ == "secp256k1":
		if err != nil || !inlined.Equals(pub) {
			v.fail("%s: the key inlined in %s differs (%v)", typ, recID, err)
		}
	case err != peer.ErrNoPublicKey:
		v.fail("%s: peer id %s inlines a key (%v)", typ, recID, err)
	}
}

func (v *verifier) multiaddr(rec map[string]string) {
	v.multiaddrs++
	b, ok := v.hexField(rec, "hex")
	str, ok2 := rec["str"]
	if !ok || !ok2 {
		v.fail("multiaddr record without \"hex\" or \"str\"")
		return
	}
	m, err := ma.NewMultiaddrBytes(b)
	if err != nil {
		v.fail("go refuses the bytes of %s: %v", str, err)
		return
	}
	if s := m.String(); s != str {
		v.fail("bytes %x print as %s, record %s", b, s, str)
	}
	if !bytes.Equal(m.Bytes(), b) {
		v.fail("bytes %x come back as %x", b, m.Bytes())
	}
	back, err := ma.NewMultiaddr(str)
	if err != nil {
		v.fail("go cannot parse %s: %v", str, err)
	} else if !bytes.Equal(back.Bytes(), b) {
		v.fail("%s parses to %x, record %x", str, back.Bytes(), b)
	}
}

func xcheckVerify(file string) int {
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lp2p-go-peer xcheck: %v\n", err)
		return 2
	}
	defer f.Close()
	v := &verifier{file: file}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		v.line++
		var rec map[string]string
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			v.fail("unreadable line: %v", err)
			continue
		}
		switch rec["kind"] {
		case "key":
			v.key(rec)
		case "ma":
			v.multiaddr(rec)
		default:
			v.fail("unknown kind %q", rec["kind"])
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "lp2p-go-peer xcheck: %s: %v\n", file, err)
		return 2
	}
	fmt.Printf("lp2p-go-peer xcheck verify %s: %d keys, %d multiaddrs, %d mismatches\n",
		file, v.keys, v.multiaddrs, v.mismatches)
	if v.keys == 0 || v.multiaddrs == 0 {
		fmt.Printf("MISMATCH %s: the corpus has no keys or no multiaddrs\n", file)
		return 1
	}
	if v.mismatches > 0 {
		return 1
	}
	return 0
}

func xcheckUsage() int {
	fmt.Fprintln(os.Stderr, "usage: lp2p-go-peer xcheck gen N [SEED]\n       lp2p-go-peer xcheck verify FILE")
	return 2
}

func xcheckMain(args []string) int {
	switch {
	case len(args) >= 2 && len(args) <= 3 && args[0] == "gen":
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || n > 100000 {
			return xcheckUsage()
		}
		seed := uint64(time.Now().UnixMilli())
		if len(args) == 3 {
			if seed, err = strconv.ParseUint(args[2], 10, 64); err != nil {
				return xcheckUsage()
			}
		}
		return xcheckGen(n, seed)
	case len(args) == 2 && args[0] == "verify":
		return xcheckVerify(args[1])
	}
	return xcheckUsage()
}
