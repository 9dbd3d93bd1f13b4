// Client scenarios run by `lp2p-go-peer --dial ADDR --test NAME`: those of
// js/scenarios.mjs, with the same result fields.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/core/sec"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	tls "github.com/libp2p/go-libp2p/p2p/security/tls"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	mss "github.com/multiformats/go-multistream"
)

const mib = 1 << 20

// scenario context: the host, the address, the options.
type sctx struct {
	ctx  context.Context
	h    host.Host
	priv crypto.PrivKey
	addr ma.Multiaddr
	o    *options
}

type scenario func(*sctx) (obj, error)

var scenarios map[string]scenario

func init() {
	scenarios = map[string]scenario{
		"echo":          echoScenario,
		"streams":       streamsScenario,
		"half-close":    halfCloseScenario,
		"reset":         resetScenario,
		"remote-reset":  remoteResetScenario,
		"peer-id":       peerIDScenario,
		"wrong-peer-id": wrongPeerIDScenario,
		"ping":          pingScenario,
		"identify":      identifyScenario,
		"sink":          sinkScenario,
		"source":        sourceScenario,
		"unsupported":   unsupportedScenario,
	}
}

func (c *sctx) size(def int64) int64 {
	if c.o.set["size"] {
		return c.o.size
	}
	return def
}

func (c *sctx) count(def int) int {
	if c.o.set["count"] {
		return c.o.count
	}
	return def
}

func rate(bytes int64, d time.Duration) obj {
	ms := float64(d) / float64(time.Millisecond)
	return obj{{"bytes", bytes}, {"seconds", d.Seconds()},
		{"mbps", math.Round(float64(bytes)/1e3/ms*100) / 100}}
}

// addrPeerID: the /p2p/ id of addr, or "".
func addrPeerID(addr ma.Multiaddr) peer.ID {
	for _, c := range addr {
		if c.Code() == ma.P_P2P {
			id, err := peer.Decode(c.Value())
			if err == nil {
				return id
			}
		}
	}
	return ""
}

func withoutPeerID(addr ma.Multiaddr) ma.Multiaddr {
	var out ma.Multiaddr
	for _, c := range addr {
		if c.Code() != ma.P_P2P {
			out = append(out, c)
		}
	}
	return out
}

// probePeerID learns the peer id at addr (which has no /p2p/): it runs the
// security handshake alone, without checking the remote's id, and hangs
// up.  go-libp2p's host only dials a known peer id.
func probePeerID(ctx context.Context, o *options, priv crypto.PrivKey, addr ma.Multiaddr) (peer.ID, error) {
	transports := map[string]sec.SecureTransport{}
	var protos []string
	for _, s := range o.security {
		switch s {
		case "noise":
			t, err := noise.New(noise.ID, priv, nil)
			if err != nil {
				return "", err
			}
			st, err := t.WithSessionOptions(noise.DisablePeerIDCheck())
			if err != nil {
				return "", err
			}
			transports[noise.ID] = st
			protos = append(protos, noise.ID)
		case "tls":
			t, err := tls.New(tls.ID, priv, nil)
			if err != nil {
				return "", err
			}
			transports[tls.ID] = t
			protos = append(protos, tls.ID)
		}
	}
	var d manet.Dialer
	conn, err := d.DialContext(ctx, addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	proto, err := mss.SelectOneOf(protos, conn)
	if err != nil {
		return "", fmt.Errorf("security negotiation: %w", err)
	}
	sc, err := transports[proto].SecureOutbound(ctx, conn, "")
	if err != nil {
		return "", err
	}
	defer sc.Close()
	return sc.RemotePeer(), nil
}

// dial connects to addr (learning the peer id first if addr has none) and
// returns the connection.
func dial(c *sctx, addr ma.Multiaddr) (network.Conn, error) {
	id := addrPeerID(addr)
	plain := withoutPeerID(addr)
	if id == "" {
		var err error
		if id, err = probePeerID(c.ctx, c.o, c.priv, plain); err != nil {
			return nil, err
		}
	}
	if err := c.h.Connect(c.ctx, peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{plain}}); err != nil {
		return nil, err
	}
	conns := c.h.Network().ConnsToPeer(id)
	if len(conns) == 0 {
		return nil, fmt.Errorf("connected to %s, but no connection is open", id)
	}
	return conns[len(conns)-1], nil
}

// newStream opens a stream for proto on conn's peer.
func newStream(c *sctx, conn network.Conn, proto protocol.ID) (network.Stream, error) {
	return c.h.NewStream(c.ctx, conn.RemotePeer(), proto)
}

// dialStream dials the scenario's address and opens a stream for proto.
func dialStream(c *sctx, proto protocol.ID) (network.Conn, network.Stream, error) {
	conn, err := dial(c, c.addr)
	if err != nil {
		return nil, nil, err
	}
	s, err := newStream(c, conn, proto)
	return conn, s, err
}

// sendThenClose writes with write in the background, then closes the write
// side; the channel gets the first error or nil.
func sendThenClose(s network.Stream, write func() error) <-chan error {
	done := make(chan error, 1)
	go func() {
		err := write()
		if err == nil {
			err = s.CloseWrite()
		}
		done <- err
	}()
	return done
}

// echoOnce: one echo round trip of payload on a new stream, checked.
func echoOnce(c *sctx, conn network.Conn, payload []byte) error {
	s, err := newStream(c, conn, echoProtocol)
	if err != nil {
		return err
	}
	werr := sendThenClose(s, func() error {
		_, err := s.Write(payload)
		return err
	})
	got, err := io.ReadAll(s)
	if err != nil {
		s.Reset()
		return err
	}
	if err := <-werr; err != nil {
		return err
	}
	s.Close()
	if !bytes.Equal(got, payload) {
		return fmt.Errorf("echo mismatch: sent %d bytes, got %d", len(payload), len(got))
	}
	return nil
}

// writeGen writes n bytes of g in chunks (hashing them into h if not nil).
func writeGen(s network.Stream, g *byteGen, n int64, h io.Writer) error {
	buf := make([]byte, chunk)
	for n > 0 {
		k := min(n, chunk)
		p := g.fill(buf[:k])
		if h != nil {
			h.Write(p)
		}
		if _, err := s.Write(p); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// readCheck reads s to its end, checking the generator stream; counts the
// bytes read in *got as it goes.
func readCheck(s network.Stream, got *atomic.Int64) error {
	chk := newGenChecker()
	buf := make([]byte, chunk)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if cerr := chk.check(buf[:n]); cerr != nil {
				return cerr
			}
			got.Add(int64(n))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// echo: size bytes of the generator stream through /echo/1.0.0, checked.
func echoScenario(c *sctx) (obj, error) {
	size := c.size(100 * mib)
	_, s, err := dialStream(c, echoProtocol)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	werr := sendThenClose(s, func() error {
		return writeGen(s, newByteGen(genSeed), size, nil)
	})
	var got atomic.Int64
	if err := readCheck(s, &got); err != nil {
		s.Reset()
		return nil, err
	}
	if err := <-werr; err != nil {
		return nil, err
	}
	d := time.Since(t0)
	s.Close()
	if got.Load() != size {
		return nil, fmt.Errorf("echo returned %d of %d bytes", got.Load(), size)
	}
	return rate(size, d), nil
}

// streams: count concurrent echo streams on one connection, each with its
// own payload.
func streamsScenario(c *sctx) (obj, error) {
	count := c.count(500)
	conn, err := dial(c, c.addr)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := fmt.Sprintf("lp2p interop stream %d of %d", i, count)
			if err := echoOnce(c, conn, []byte(msg)); err != nil {
				once.Do(func() { first = fmt.Errorf("stream %d: %w", i, err) })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return obj{{"streams", count}, {"seconds", time.Since(t0).Seconds()}}, nil
}

// half-close: write, close our write side, then read the echo to its end.
func halfCloseScenario(c *sctx) (obj, error) {
	size := c.size(mib)
	_, s, err := dialStream(c, echoProtocol)
	if err != nil {
		return nil, err
	}
	var got atomic.Int64
	rerr := make(chan error, 1)
	go func() { rerr <- readCheck(s, &got) }()
	if err := writeGen(s, newByteGen(genSeed), size, nil); err != nil {
		s.Reset()
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		s.Reset()
		return nil, err
	}
	readAtClose := got.Load()
	if _, err := s.Write([]byte{0}); err == nil {
		s.Reset()
		return nil, errors.New("write side is still open after CloseWrite")
	}
	if err := <-rerr; err != nil {
		s.Reset()
		return nil, err
	}
	s.Close()
	if got.Load() != size {
		return nil, fmt.Errorf("read %d of %d bytes after half-close", got.Load(), size)
	}
	return obj{{"bytes", size}, {"readAfterClose", size - readAtClose}}, nil
}

func connStatus(conn network.Conn) string {
	if conn.IsClosed() {
		return "closed"
	}
	return "open"
}

// reset: reset an echo stream mid-way, then show that the connection still
// carries a new stream.
func resetScenario(c *sctx) (obj, error) {
	conn, s, err := dialStream(c, echoProtocol)
	if err != nil {
		return nil, err
	}
	if _, err := s.Write(newByteGen(genSeed).next(1024)); err != nil {
		return nil, err
	}
	// wait for some echo so the remote has surely opened its end
	var b [1]byte
	if _, err := s.Read(b[:]); err != nil {
		return nil, fmt.Errorf("no echo before the reset: %w", err)
	}
	if err := s.Reset(); err != nil {
		return nil, err
	}
	if _, err := s.Write([]byte{0}); err == nil {
		return nil, errors.New("the stream takes writes after its reset")
	}
	if err := echoOnce(c, conn, newByteGen(7).next(4096)); err != nil {
		return nil, err
	}
	if conn.IsClosed() {
		return nil, errors.New("connection closed after reset")
	}
	return obj{{"connectionStatus", connStatus(conn)}}, nil
}

// remote-reset: the remote resets a stream (/lp2p-test/reset/1.0.0); we
// must see the reset, and the connection must still carry a new stream.
func remoteResetScenario(c *sctx) (obj, error) {
	conn, s, err := dialStream(c, resetProtocol)
	if err != nil {
		return nil, err
	}
	if _, err := s.Write([]byte{1}); err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, s)
	if err == nil {
		return nil, errors.New("stream ended without a reset")
	}
	if !errors.Is(err, network.ErrReset) {
		return nil, fmt.Errorf("stream failed (%v), want a reset", err)
	}
	if err := echoOnce(c, conn, newByteGen(7).next(4096)); err != nil {
		return nil, err
	}
	return obj{{"streamError", errText(err)}, {"connectionStatus", connStatus(conn)}}, nil
}

// unsupported: the remote must refuse a protocol it does not speak
// (multistream-select "na"), and the connection must still carry a new
// stream.
const unsupportedProtocol = "/lp2p-test/unsupported/1.0.0"

func unsupportedScenario(c *sctx) (obj, error) {
	conn, err := dial(c, c.addr)
	if err != nil {
		return nil, err
	}
	s, err := newStream(c, conn, unsupportedProtocol)
	if err == nil {
		s.Reset()
		return nil, fmt.Errorf("the remote accepted %s", unsupportedProtocol)
	}
	var na mss.ErrNotSupported[protocol.ID]
	if !errors.As(err, &na) {
		return nil, fmt.Errorf("refused with %v, want multistream-select's na", err)
	}
	if err := echoOnce(c, conn, newByteGen(7).next(4096)); err != nil {
		return nil, err
	}
	return obj{{"refusal", errText(err)}, {"connectionStatus", connStatus(conn)}}, nil
}

// peer-id: dial and report the remote peer id; it must match the /p2p/ id
// of the address if there is one.
func peerIDScenario(c *sctx) (obj, error) {
	var expected any
	if id := addrPeerID(c.addr); id != "" {
		expected = id.String()
	}
	conn, err := dial(c, c.addr)
	if err != nil {
		return nil, err
	}
	seen := conn.RemotePeer().String()
	if expected != nil && expected != seen {
		return nil, fmt.Errorf("dialled %s, connected to %s", expected, seen)
	}
	st := conn.ConnState()
	return obj{{"expected", expected}, {"seen", seen},
		{"encryption", string(st.Security)}, {"multiplexer", string(st.StreamMultiplexer)}}, nil
}

// wrong-peer-id: the address works without /p2p/, but dialling it as
// another peer's id must be refused.
func wrongPeerIDScenario(c *sctx) (obj, error) {
	plain := withoutPeerID(c.addr)
	real, err := dial(c, plain)
	if err != nil {
		return nil, err
	}
	realID := real.RemotePeer()
	if err := c.h.Network().ClosePeer(realID); err != nil {
		return nil, err
	}
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	other, err := peer.IDFromPrivateKey(k)
	if err != nil {
		return nil, err
	}
	err = c.h.Connect(c.ctx, peer.AddrInfo{ID: other, Addrs: []ma.Multiaddr{plain}})
	if err == nil {
		return nil, fmt.Errorf("dial as %s succeeded", other)
	}
	return obj{{"realPeerId", realID.String()}, {"dialedAs", other.String()},
		{"refusal", errText(err)}}, nil
}

// ping: count pings over one connection (go-libp2p pings on one stream).
func pingScenario(c *sctx) (obj, error) {
	count := c.count(10)
	conn, err := dial(c, c.addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	results := ping.Ping(ctx, c.h, conn.RemotePeer())
	rtts := make([]float64, 0, count)
	for len(rtts) < count {
		r, ok := <-results
		if !ok {
			return nil, errors.New("ping ended early")
		}
		if r.Error != nil {
			return nil, r.Error
		}
		rtts = append(rtts, float64(r.RTT)/float64(time.Millisecond))
	}
	cancel()
	mn, mx, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, r := range rtts {
		mn, mx, sum = math.Min(mn, r), math.Max(mx, r), sum+r
	}
	if count == 0 {
		return obj{{"count", 0}, {"rtts", rtts}, {"min", nil}, {"max", nil}, {"avg", nil}}, nil
	}
	return obj{{"count", count}, {"rtts", rtts}, {"min", mn}, {"max", mx},
		{"avg", sum / float64(count)}}, nil
}

// identify: what the identify exchange go-libp2p runs on every new
// connection learned (waits up to 10 s for it).
func identifyScenario(c *sctx) (obj, error) {
	sub, err := c.h.EventBus().Subscribe([]any{
		new(event.EvtPeerIdentificationCompleted), new(event.EvtPeerIdentificationFailed)})
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	conn, err := dial(c, c.addr)
	if err != nil {
		return nil, err
	}
	deadline := time.After(10 * time.Second)
	var ev event.EvtPeerIdentificationCompleted
wait:
	for {
		select {
		case e := <-sub.Out():
			switch e := e.(type) {
			case event.EvtPeerIdentificationCompleted:
				if e.Conn == conn {
					ev = e
					break wait
				}
			case event.EvtPeerIdentificationFailed:
				if e.Peer == conn.RemotePeer() {
					return nil, fmt.Errorf("identify failed: %w", e.Reason)
				}
			}
		case <-deadline:
			return nil, errors.New("identify did not complete within 10 s")
		}
	}
	var keyType any
	if pk := c.h.Peerstore().PubKey(ev.Peer); pk != nil {
		keyType = keyTypeName(pk)
		if id, err := peer.IDFromPublicKey(pk); err != nil || id != conn.RemotePeer() {
			return nil, errors.New("identify public key does not match the remote peer id")
		}
	}
	var agent, pv, observed any
	if ev.AgentVersion != "" {
		agent = ev.AgentVersion
	}
	if ev.ProtocolVersion != "" {
		pv = ev.ProtocolVersion
	}
	if ev.ObservedAddr != nil {
		observed = ev.ObservedAddr.String()
	}
	// Stay connected a little: the remote runs identify on us too, and
	// a test may check that it got its answer (js's client stops later
	// than ours).
	time.Sleep(time.Second)
	return obj{
		{"peerId", ev.Peer.String()},
		{"agentVersion", agent},
		{"protocolVersion", pv},
		{"protocols", protocolStrings(ev)},
		{"listenAddrs", addrStrings(ev)},
		{"observedAddr", observed},
		{"publicKeyType", keyType},
		{"signedPeerRecord", ev.SignedPeerRecord != nil},
	}, nil
}

// sink: size generator bytes to /lp2p-test/sink/1.0.0; check the count
// and SHA-256 it replies with.
func sinkScenario(c *sctx) (obj, error) {
	size := c.size(100 * mib)
	_, s, err := dialStream(c, sinkProtocol)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	hash := sha256.New()
	werr := sendThenClose(s, func() error {
		return writeGen(s, newByteGen(genSeed), size, hash)
	})
	reply, err := io.ReadAll(s)
	if err != nil {
		s.Reset()
		return nil, err
	}
	if err := <-werr; err != nil {
		return nil, err
	}
	d := time.Since(t0)
	s.Close()
	if len(reply) != 40 {
		return nil, fmt.Errorf("sink replied %d bytes, want 40", len(reply))
	}
	if n := binary.BigEndian.Uint64(reply); n != uint64(size) {
		return nil, fmt.Errorf("sink counted %d of %d bytes", n, size)
	}
	if !bytes.Equal(reply[8:], hash.Sum(nil)) {
		return nil, errors.New("sink SHA-256 mismatch")
	}
	return rate(size, d), nil
}

// source: ask /lp2p-test/source/1.0.0 for size bytes and check them.
func sourceScenario(c *sctx) (obj, error) {
	size := c.size(100 * mib)
	_, s, err := dialStream(c, sourceProtocol)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if _, err := s.Write(u64be(uint64(size))); err != nil {
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		return nil, err
	}
	var got atomic.Int64
	if err := readCheck(s, &got); err != nil {
		s.Reset()
		return nil, err
	}
	d := time.Since(t0)
	s.Close()
	if got.Load() != size {
		return nil, fmt.Errorf("source sent %d of %d bytes", got.Load(), size)
	}
	return rate(size, d), nil
}

// runClient runs the scenario named by --test and prints its result line.
func runClient(o *options, priv crypto.PrivKey) int {
	addr, err := ma.NewMultiaddr(o.dial)
	if err != nil {
		fail("bad --dial address %s: %v", o.dial, err)
	}
	h, err := newHost(o, priv, nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lp2p-go-peer: %v\n", err)
		return 2
	}
	mountProtocols(h, o)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &sctx{ctx: ctx, h: h, priv: priv, addr: addr, o: o}
	type outcome struct {
		details obj
		err     error
	}
	done := make(chan outcome, 1)
	go func() {
		d, err := scenarios[o.test](c)
		done <- outcome{d, err}
	}()
	var r outcome
	select {
	case r = <-done:
	case <-time.After(time.Duration(o.timeout * float64(time.Second))):
		r.err = fmt.Errorf("%w after %s s", errTimeout, fmtSeconds(o.timeout))
	}
	cancel()
	line := obj{{"event", "result"}, {"test", o.test}, {"ok", r.err == nil},
		{"localPeerId", h.ID().String()}}
	code := 0
	if r.err != nil {
		line = append(line, kv{"error", errText(r.err)})
		code = 1
	} else {
		line = append(line, r.details...)
	}
	emit(line)
	closeHost(h, 5*time.Second)
	return code
}

func fmtSeconds(s float64) string {
	return fmt.Sprint(s)
}
