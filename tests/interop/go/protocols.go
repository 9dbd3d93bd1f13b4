// The protocols both the server and the client mount (tests/interop/
// README.md, "Server mode"), and server mode itself.
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
)

const (
	echoProtocol   = "/echo/1.0.0"
	sinkProtocol   = "/lp2p-test/sink/1.0.0"
	sourceProtocol = "/lp2p-test/source/1.0.0"
	resetProtocol  = "/lp2p-test/reset/1.0.0"
	chunk          = 64 * 1024
	sourceMax      = 1 << 40 // largest N the source protocol accepts
)

func u64be(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// handleEcho writes back everything it reads, then closes its write side
// once the remote has closed its own.
func handleEcho(s network.Stream) {
	buf := make([]byte, chunk)
	if _, err := io.CopyBuffer(s, s, buf); err != nil {
		s.Reset()
		return
	}
	s.Close()
}

// handleSink reads to the end, then replies with the count (8 bytes,
// big-endian) and the SHA-256 of what it read, and closes.
func handleSink(s network.Stream) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, s, make([]byte, chunk))
	if err != nil {
		s.Reset()
		return
	}
	if _, err := s.Write(append(u64be(uint64(n)), h.Sum(nil)...)); err != nil {
		s.Reset()
		return
	}
	s.Close()
}

// handleSource reads an 8-byte big-endian N and sends the first N bytes of
// the generator stream, then closes its write side.  It does not wait for
// the remote's end of the request, but more than 8 request bytes, or
// N > 2^40, reset the stream.
func handleSource(s network.Stream) {
	req := make([]byte, 8)
	if _, err := io.ReadFull(s, req); err != nil {
		s.Reset()
		return
	}
	n := binary.BigEndian.Uint64(req)
	if n > sourceMax {
		s.Reset()
		return
	}
	// the rest of the request must be its end
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		var b [1]byte
		if k, err := s.Read(b[:]); k > 0 || (err != nil && err != io.EOF) {
			s.Reset()
		}
	}()
	g := newByteGen(genSeed)
	buf := make([]byte, chunk)
	for left := n; left > 0; {
		k := min(left, chunk)
		if _, err := s.Write(g.fill(buf[:k])); err != nil {
			s.Reset()
			return
		}
		left -= k
	}
	if err := s.CloseWrite(); err != nil {
		s.Reset()
		return
	}
	<-readDone // our stream is fully closed when the remote's side is
	s.Close()
}

// handleReset resets the stream as soon as its first byte arrives.
func handleReset(s network.Stream) {
	var b [1]byte
	s.Read(b[:])
	s.Reset()
}

// mountProtocols: echo, sink, source, reset (ping and identify are
// go-libp2p's own) and perf.
func mountProtocols(h host.Host, o *options) {
	h.SetStreamHandler(echoProtocol, handleEcho)
	h.SetStreamHandler(sinkProtocol, handleSink)
	h.SetStreamHandler(sourceProtocol, handleSource)
	h.SetStreamHandler(resetProtocol, handleReset)
	h.SetStreamHandler(perfProtocol, handlePerf)
	if !o.idPush {
		// go-libp2p always takes pushes; peer.mjs only with --identify-push
		h.RemoveStreamHandler(identify.IDPush)
	}
	if o.reportID {
		reportIdentify(h)
	}
	if o.addAfter >= 0 {
		time.AfterFunc(time.Duration(o.addAfter*float64(time.Second)), func() {
			h.SetStreamHandler(lateProtocol, func(s network.Stream) { s.Close() })
			emit(obj{{"event", "protocol-added"}, {"protocol", lateProtocol}})
		})
	}
}

// reportIdentify prints a peer:identify line for every identify answer or
// push received.
func reportIdentify(h host.Host) {
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		fmt.Fprintf(os.Stderr, "lp2p-go-peer: identify events: %v\n", err)
		return
	}
	go func() {
		for e := range sub.Out() {
			ev := e.(event.EvtPeerIdentificationCompleted)
			var agent any
			if ev.AgentVersion != "" {
				agent = ev.AgentVersion
			}
			emit(obj{
				{"event", "peer:identify"},
				{"peerId", ev.Peer.String()},
				{"agentVersion", agent},
				{"protocols", protocolStrings(ev)},
				{"listenAddrs", addrStrings(ev)},
				{"signedPeerRecord", ev.SignedPeerRecord != nil},
			})
		}
	}()
}

func protocolStrings(ev event.EvtPeerIdentificationCompleted) []string {
	out := make([]string, 0, len(ev.Protocols))
	for _, p := range ev.Protocols {
		out = append(out, string(p))
	}
	return out
}

func addrStrings(ev event.EvtPeerIdentificationCompleted) []string {
	out := make([]string, 0, len(ev.ListenAddrs))
	for _, a := range ev.ListenAddrs {
		out = append(out, a.String())
	}
	return out
}

// keyTypeName: a key type as js-libp2p names it.
func keyTypeName(k crypto.PubKey) string {
	switch k.Type() {
	case crypto.Ed25519:
		return "Ed25519"
	case crypto.Secp256k1:
		return "secp256k1"
	case crypto.RSA:
		return "RSA"
	case crypto.ECDSA:
		return "ECDSA"
	}
	return k.Type().String()
}

// gcEvent runs the garbage collector, returns memory to the OS, and prints
// {"event":"gc",...} with the connection count and memory figures.
func gcEvent(h host.Host) {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	emit(obj{
		{"event", "gc"},
		{"connections", len(h.Network().Conns())},
		{"rss", rssBytes()},
		{"heapAlloc", m.HeapAlloc},
		{"heapInuse", m.HeapInuse},
		{"heapSys", m.HeapSys},
		{"heapReleased", m.HeapReleased},
		{"sys", m.Sys},
		{"goroutines", runtime.NumGoroutine()},
	})
}

// rssBytes: the resident set size from /proc/self/statm, or 0.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// runServer: listen, print the listening line and connection events, stop
// on SIGTERM, SIGINT or the end of the lifetime.
func runServer(o *options, priv crypto.PrivKey) int {
	h, err := newHost(o, priv, o.listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lp2p-go-peer: %v\n", err)
		return 2
	}
	if o.bench {
		// bench-peer.mjs mounts no identify: nothing but what is measured
		h.RemoveStreamHandler(identify.ID)
		h.RemoveStreamHandler(identify.IDPush)
		h.SetStreamHandler(echoProtocol, handleEcho)
		h.SetStreamHandler(perfProtocol, handlePerf)
	} else {
		mountProtocols(h, o)
	}
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			emit(append(obj{{"event", "connection:open"}}, connInfo(c)...))
		},
		DisconnectedF: func(_ network.Network, c network.Conn) {
			emit(append(obj{{"event", "connection:close"}}, connInfo(c)...))
		},
	})
	emit(obj{{"event", "listening"}, {"peerId", h.ID().String()}, {"addrs", hostAddrs(h)}})

	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR2)
	var expire <-chan time.Time
	if o.lifetime > 0 {
		expire = time.After(time.Duration(o.lifetime * float64(time.Second)))
	}
	reason := "lifetime"
wait:
	for {
		select {
		case s := <-sig:
			if s == syscall.SIGUSR2 {
				gcEvent(h)
				continue
			}
			reason = strings.ToUpper(unix(s))
			break wait
		case <-expire:
			break wait
		}
	}
	signal.Reset(syscall.SIGINT, syscall.SIGTERM)
	closeHost(h, 2*time.Second)
	emit(obj{{"event", "stopped"}, {"reason", reason}})
	return 0
}

// unix: SIGTERM or SIGINT by name.
func unix(s os.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return s.String()
}

// closeHost closes h, waiting at most d (a peer that never finishes
// closing must not keep us from exiting).
func closeHost(h host.Host, d time.Duration) {
	done := make(chan struct{})
	go func() {
		h.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}
