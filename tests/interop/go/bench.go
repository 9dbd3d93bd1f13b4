// The bench client modes of js/bench-peer.mjs, and the libp2p perf
// protocol (/perf/1.0.0, libp2p/specs perf/perf.md).
//
// Perf client: send the wanted download size as an 8-byte big-endian
// integer, upload, close the write side, read the download to its end.
// Perf server: read the size, drain the upload to its end, send that many
// bytes, close.  Bytes sent are zeros from one shared block; bytes received
// are only counted.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

const perfProtocol = "/perf/1.0.0"

var zeros = make([]byte, chunk)

func sendZeros(s network.Stream, n uint64) error {
	for n > 0 {
		k := min(n, chunk)
		if _, err := s.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// handlePerf serves one inbound perf stream.
func handlePerf(s network.Stream) {
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(s, hdr); err != nil {
		s.Reset()
		return
	}
	if _, err := io.CopyBuffer(io.Discard, s, make([]byte, chunk)); err != nil {
		s.Reset()
		return
	}
	if err := sendZeros(s, binary.BigEndian.Uint64(hdr)); err != nil {
		s.Reset()
		return
	}
	s.Close()
}

// perfClient runs one transfer on conn; returns what lp2pd perf --json
// prints.
func perfClient(ctx context.Context, h host.Host, conn network.Conn, upload, download int64) (obj, error) {
	s, err := h.NewStream(ctx, conn.RemotePeer(), perfProtocol)
	if err != nil {
		return nil, err
	}
	tOpen := time.Now()
	var tResponse time.Time
	var received int64
	rerr := make(chan error, 1)
	go func() {
		buf := make([]byte, chunk)
		for {
			n, err := s.Read(buf)
			if n > 0 {
				if received == 0 {
					tResponse = time.Now()
				}
				received += int64(n)
			}
			if err == io.EOF {
				rerr <- nil
				return
			}
			if err != nil {
				rerr <- err
				return
			}
		}
	}()
	if _, err := s.Write(u64be(uint64(download))); err != nil {
		s.Reset()
		return nil, err
	}
	if err := sendZeros(s, uint64(upload)); err != nil {
		s.Reset()
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		s.Reset()
		return nil, err
	}
	if err := <-rerr; err != nil {
		s.Reset()
		return nil, err
	}
	tEnd := time.Now()
	s.Close()
	if tResponse.IsZero() {
		tResponse = tEnd
	}
	if received != download {
		return nil, fmt.Errorf("perf: downloaded %d of %d bytes", received, download)
	}
	up := tResponse.Sub(tOpen).Seconds()
	down := tEnd.Sub(tResponse).Seconds()
	gbps := func(bytes int64, s float64) float64 {
		if s <= 0 {
			return 0
		}
		return math.Round(float64(bytes)*8/1e9/s*1e4) / 1e4
	}
	st := conn.ConnState()
	return obj{
		{"type", "final"},
		{"security", string(st.Security)},
		{"muxer", string(st.StreamMultiplexer)},
		{"uploadBytes", upload},
		{"uploadSeconds", up},
		{"uploadGbps", gbps(upload, up)},
		{"downloadBytes", download},
		{"downloadSeconds", down},
		{"downloadGbps", gbps(download, down)},
		{"timeSeconds", tEnd.Sub(tOpen).Seconds()},
	}, nil
}

// CPU time is counted from markCPU() (just before what is measured).
var cpuMark time.Duration

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func markCPU() { cpuMark = cpuTime() }

func percentile(sorted []float64, p float64) float64 {
	return sorted[min(len(sorted)-1, int(math.Floor(float64(len(sorted))*p)))]
}

type benchCtx struct {
	ctx  context.Context
	o    *options
	addr ma.Multiaddr
	info peer.AddrInfo
}

// newBenchHost: a client host with a fresh Ed25519 identity.
func (b *benchCtx) newHost() (host.Host, error) {
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	h, err := newHost(b.o, k, nil)
	if err != nil {
		return nil, err
	}
	h.SetStreamHandler(echoProtocol, handleEcho)
	return h, nil
}

// connectedHost: a new client host with one connection to the server
// (the caller closes the host).
func (b *benchCtx) connectedHost() (host.Host, network.Conn, error) {
	h, err := b.newHost()
	if err != nil {
		return nil, nil, err
	}
	conn, err := b.connect(h)
	if err != nil {
		closeHost(h, 2*time.Second)
		return nil, nil, err
	}
	return h, conn, nil
}

func (b *benchCtx) connect(h host.Host) (network.Conn, error) {
	if err := h.Connect(b.ctx, b.info); err != nil {
		return nil, err
	}
	conns := h.Network().ConnsToPeer(b.info.ID)
	if len(conns) == 0 {
		return nil, errors.New("connected, but no connection is open")
	}
	return conns[len(conns)-1], nil
}

// loop runs k workers calling one() until the time is up.
func (b *benchCtx) loop(k int, one func(worker int) error) obj {
	var mu sync.Mutex
	done, errs := 0, 0
	var lastError any
	d := time.Duration(b.o.seconds * float64(time.Second))
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(t0) < d {
				err := one(w)
				mu.Lock()
				if err != nil {
					errs++
					lastError = errText(err)
				} else {
					done++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	seconds := time.Since(t0).Seconds()
	return obj{{"errors", errs}, {"lastError", lastError}, {"seconds", seconds},
		{"perSecond", float64(done) / seconds}, {"count", done}}
}

type benchFunc func(*benchCtx) (obj, error)

var benches = map[string]benchFunc{
	"perf":       benchPerf,
	"handshakes": benchHandshakes,
	"ping":       benchPing,
	"streams":    benchStreams,
}

func benchPerf(b *benchCtx) (obj, error) {
	h, conn, err := b.connectedHost()
	if err != nil {
		return nil, err
	}
	defer closeHost(h, 2*time.Second)
	markCPU()
	return perfClient(b.ctx, h, conn, b.o.upload, b.o.download)
}

// handshakes: K client hosts, each dialing a new connection and closing
// it, in a loop.
func benchHandshakes(b *benchCtx) (obj, error) {
	k := b.o.concurrent
	hosts := make([]host.Host, k)
	for i := range hosts {
		h, err := b.newHost()
		if err != nil {
			return nil, err
		}
		hosts[i] = h
	}
	markCPU()
	r := b.loop(k, func(w int) error {
		conn, err := b.connect(hosts[w])
		if err != nil {
			return err
		}
		return conn.Close()
	})
	for _, h := range hosts {
		closeHost(h, 2*time.Second)
	}
	return renameCount(r, "handshakes"), nil
}

// renameCount puts the loop's count first under name, as bench-peer.mjs.
func renameCount(r obj, name string) obj {
	out := obj{{name, r[len(r)-1].v}}
	return append(out, r[:len(r)-1]...)
}

// ping: N round trips of B bytes on one echo stream (after 10 to warm up).
func benchPing(b *benchCtx) (obj, error) {
	count, size := b.o.count, b.o.size
	h, conn, err := b.connectedHost()
	if err != nil {
		return nil, err
	}
	defer closeHost(h, 2*time.Second)
	s, err := h.NewStream(b.ctx, conn.RemotePeer(), echoProtocol)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = 0x70
	}
	back := make([]byte, size)
	rtts := make([]float64, 0, count)
	for i := 0; i < count+10; i++ {
		t0 := time.Now()
		if _, err := s.Write(msg); err != nil {
			s.Reset()
			return nil, err
		}
		if _, err := io.ReadFull(s, back); err != nil {
			s.Reset()
			return nil, err
		}
		if i >= 10 {
			rtts = append(rtts, float64(time.Since(t0))/float64(time.Microsecond))
		}
	}
	s.CloseWrite()
	io.Copy(io.Discard, s)
	s.Close()
	if count == 0 {
		return nil, errors.New("--count 0")
	}
	slices.Sort(rtts)
	return obj{{"pings", count}, {"size", size}, {"p50us", percentile(rtts, 0.5)},
		{"p99us", percentile(rtts, 0.99)}, {"minUs", rtts[0]}}, nil
}

// streams: K workers opening echo streams on one connection, one B-byte
// message each way, then closing them.
func benchStreams(b *benchCtx) (obj, error) {
	msg := make([]byte, b.o.size)
	for i := range msg {
		msg[i] = 0x73
	}
	h, conn, err := b.connectedHost()
	if err != nil {
		return nil, err
	}
	defer closeHost(h, 2*time.Second)
	markCPU()
	r := b.loop(b.o.concurrent, func(int) error {
		s, err := h.NewStream(b.ctx, conn.RemotePeer(), echoProtocol)
		if err != nil {
			return err
		}
		if _, err := s.Write(msg); err != nil {
			s.Reset()
			return err
		}
		if err := s.CloseWrite(); err != nil {
			s.Reset()
			return err
		}
		got, err := io.ReadAll(s)
		if err != nil {
			s.Reset()
			return err
		}
		s.Close()
		if len(got) != len(msg) {
			return fmt.Errorf("echo returned %d bytes", len(got))
		}
		return nil
	})
	return renameCount(r, "streams"), nil
}

// runBench runs the bench named by --bench and prints its result line.
func runBench(o *options) int {
	addr, err := ma.NewMultiaddr(o.dial)
	if err != nil {
		fail("bad --dial address %s: %v", o.dial, err)
	}
	b := &benchCtx{ctx: context.Background(), o: o, addr: addr}
	name := o.benchName
	var res obj
	b.info.ID = addrPeerID(addr)
	b.info.Addrs = []ma.Multiaddr{withoutPeerID(addr)}
	if b.info.ID == "" {
		// go-libp2p's host dials known peer ids only
		k, _, kerr := crypto.GenerateEd25519Key(rand.Reader)
		if err = kerr; err == nil {
			b.info.ID, err = probePeerID(b.ctx, o, k, b.info.Addrs[0])
		}
	}
	if err == nil {
		res, err = benches[name](b)
	}
	if err != nil {
		emit(obj{{"event", "result"}, {"bench", name}, {"ok", false}, {"error", errText(err)}})
		return 1
	}
	cpu := cpuTime() - cpuMark
	line := append(obj{{"event", "result"}, {"bench", name}, {"ok", true}}, res...)
	emit(append(line, kv{"cpuSeconds", cpu.Seconds()}))
	return 0
}
