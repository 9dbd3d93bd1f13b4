// lp2p-go-peer: a go-libp2p peer for lp2p's interoperability tests, with
// the command line and JSON-lines output of tests/interop/js/peer.mjs (and
// the bench modes of js/bench-peer.mjs, and js/xcheck.mjs as the xcheck
// subcommand).  See README.md in this directory and in tests/interop.
//
//	lp2p-go-peer --listen MA [options]
//	lp2p-go-peer --dial MA --test NAME [options]
//	lp2p-go-peer --dial MA --bench NAME [bench options]
//	lp2p-go-peer bench (--listen MA | --dial MA --bench NAME) [options]
//	lp2p-go-peer xcheck gen N [SEED] | xcheck verify FILE
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	tls "github.com/libp2p/go-libp2p/p2p/security/tls"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// The go-libp2p version in go.mod (printed in the agent version).
const goLibp2pVersion = "v0.52.0"

const agentVersion = "lp2p-go-peer (go-libp2p " + goLibp2pVersion + ")"

// Registered at run time by --add-protocol-after (for identify push tests).
const lateProtocol = "/lp2p-test/late-go/1.0.0"

const usage = `usage: lp2p-go-peer (--listen MULTIADDR | --dial MULTIADDR --test NAME) [options]
       lp2p-go-peer --dial MULTIADDR --bench NAME [bench options]
       lp2p-go-peer bench (--listen MULTIADDR | --dial MULTIADDR --bench NAME) [options]
       lp2p-go-peer xcheck gen N [SEED] | xcheck verify FILE
  --listen MA        listen (repeatable); print {"event":"listening",...} when ready
  --dial MA          dial MA and run the scenario named by --test
  --test NAME        ` + "echo, streams, half-close, reset, remote-reset, peer-id, wrong-peer-id, ping, identify, sink, source" + `
  --size BYTES       transfer size for echo/half-close/sink/source (suffix K, M, G = KiB, MiB, GiB)
  --count N          number of streams (streams) or pings (ping)
  --security LIST    noise, tls or a comma list in order of preference (default noise)
  --muxer LIST       yamux (default; go-libp2p does not speak mplex)
  --seed TEXT        Ed25519 identity from SHA-256(TEXT)
  --key-type TYPE    random identity of TYPE: Ed25519 (default), secp256k1, RSA, ECDSA
  --key-file PATH    identity from a protobuf-encoded libp2p private key
  --psk FILE         join the private network of this key file (PSK v1,
                     /key/swarm/psk/1.0.0/)
  --timeout SECONDS  client: fail the scenario after this long (default 300)
  --lifetime SECONDS server: exit after this long, 0 = never (default 600; bench 3600)
  --identify-push    accept identify pushes (/ipfs/id/push/1.0.0); go-libp2p
                     always sends its own
  --report-identify  print {"event":"peer:identify",...} for every identify or push received
  --add-protocol-after SECONDS
                     register ` + lateProtocol + ` after SECONDS (print {"event":"protocol-added"})
bench (as js/bench-peer.mjs; the server also mounts /perf/1.0.0 and prints
{"event":"gc",...} on SIGUSR2 after a garbage collection):
  --bench NAME       perf, handshakes, ping, streams
  --upload N, --download N      perf sizes (default 0)
  --concurrency K, --seconds S  handshakes and streams (default 1, 10)
  --count N, --size B           ping: round trips (default 1000) of B bytes
                                (default 32); streams: B-byte messages`

// ---- JSON lines ----

// obj is a JSON object that keeps its keys in order (the runners grep the
// lines, so the order is peer.mjs's).
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := encodeJSON(&b, f.k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := encodeJSON(&b, f.v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeJSON writes v like JSON.stringify: no HTML escaping, no newline.
func encodeJSON(b *bytes.Buffer, v any) error {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Write(bytes.TrimSuffix(tmp.Bytes(), []byte{'\n'}))
	return nil
}

var emitMu sync.Mutex

// emit prints one JSON line on stdout.
func emit(o obj) {
	var b bytes.Buffer
	if err := encodeJSON(&b, o); err != nil {
		fmt.Fprintf(os.Stderr, "lp2p-go-peer: cannot encode %v: %v\n", o, err)
		return
	}
	b.WriteByte('\n')
	emitMu.Lock()
	os.Stdout.Write(b.Bytes())
	emitMu.Unlock()
}

// fail reports a usage error and exits 2.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "lp2p-go-peer: %s\n%s\n", fmt.Sprintf(format, args...), usage)
	os.Exit(2)
}

// errText is an error as "Name: message", like peer.mjs's results.
func errText(err error) string {
	name := "Error"
	switch {
	case errors.Is(err, network.ErrReset):
		name = "StreamResetError"
	case errors.Is(err, errTimeout):
		name = "TimeoutError"
	}
	return name + ": " + err.Error()
}

var errTimeout = errors.New("timed out")

// ---- options ----

type options struct {
	bench      bool // the bench subcommand (bench-peer.mjs)
	listen     []string
	dial       string
	test       string
	benchName  string
	size       int64
	count      int
	security   []string
	seed       *string
	keyType    string
	keyFile    string
	psk        pnet.PSK // nil: the public network
	timeout    float64
	lifetime   float64
	idPush     bool
	reportID   bool
	addAfter   float64 // < 0: never
	upload     int64
	download   int64
	concurrent int
	seconds    float64
	set        map[string]bool // options given on the command line
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

var sizeRE = regexp.MustCompile(`(?i)^(\d+)\s*([KMG]?)(i?B)?$`)

func parseSize(s string) int64 {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		fail("bad size: %s", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		fail("bad size: %s", s)
	}
	shift := strings.Index(" KMG", strings.ToUpper(m[2] + " ")[:1]) * 10
	if shift < 0 || n > (1<<62)>>shift {
		fail("bad size: %s", s)
	}
	return n << shift
}

func parseCount(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strings.HasPrefix(s, "+") {
		fail("bad count: %s", s)
	}
	return n
}

func parseSeconds(what, s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		fail("bad %s: %s", what, s)
	}
	return f
}

func parseOptions(args []string, bench bool) *options {
	fs := flag.NewFlagSet("lp2p-go-peer", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &options{bench: bench, set: map[string]bool{}}
	var listen listFlag
	fs.Var(&listen, "listen", "")
	fs.StringVar(&o.dial, "dial", "", "")
	fs.StringVar(&o.test, "test", "", "")
	fs.StringVar(&o.benchName, "bench", "", "")
	size := fs.String("size", "", "")
	count := fs.String("count", "", "")
	security := fs.String("security", "noise", "")
	muxer := fs.String("muxer", "yamux", "")
	seed := fs.String("seed", "", "")
	fs.StringVar(&o.keyType, "key-type", "Ed25519", "")
	fs.StringVar(&o.keyFile, "key-file", "", "")
	pskFile := fs.String("psk", "", "")
	timeout := fs.String("timeout", "300", "")
	lifetime := fs.String("lifetime", "", "")
	fs.BoolVar(&o.idPush, "identify-push", false, "")
	fs.BoolVar(&o.reportID, "report-identify", false, "")
	addAfter := fs.String("add-protocol-after", "", "")
	upload := fs.String("upload", "0", "")
	download := fs.String("download", "0", "")
	concurrency := fs.String("concurrency", "1", "")
	seconds := fs.String("seconds", "10", "")
	help := fs.Bool("help", false, "")
	if err := fs.Parse(args); err != nil {
		fail("%v", err)
	}
	if *help {
		fmt.Println(usage)
		os.Exit(0)
	}
	if fs.NArg() > 0 {
		fail("unexpected argument: %s", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	o.listen = listen

	client := o.dial != ""
	if client == (len(o.listen) > 0) {
		fail("give exactly one of --listen and --dial")
	}
	benchClient := client && (bench || o.benchName != "")
	if benchClient {
		if _, ok := benches[o.benchName]; !ok {
			fail("unknown or missing --bench: %s", o.benchName)
		}
	} else if client {
		if _, ok := scenarios[o.test]; !ok {
			fail("unknown or missing --test: %s", o.test)
		}
	}
	// bench-peer.mjs's defaults differ from peer.mjs's
	if *size != "" {
		o.size = parseSize(*size)
	} else if benchClient {
		o.size = 32
	}
	if *count != "" {
		o.count = parseCount(*count)
	} else if benchClient {
		o.count = 1000
	}
	for _, s := range strings.Split(*security, ",") {
		s = strings.TrimSpace(s)
		if s != "noise" && s != "tls" {
			fail("unknown security: %s", s)
		}
		o.security = append(o.security, s)
	}
	for _, m := range strings.Split(*muxer, ",") {
		switch strings.TrimSpace(m) {
		case "yamux":
		case "mplex":
			fail("go-libp2p does not speak mplex (removed in v0.38); use --muxer yamux")
		default:
			fail("unknown muxer: %s", m)
		}
	}
	if o.set["seed"] {
		o.seed = seed
	}
	if *pskFile != "" {
		o.psk = loadPSK(*pskFile)
	}
	o.timeout = parseSeconds("timeout", *timeout)
	switch {
	case *lifetime != "":
		o.lifetime = parseSeconds("lifetime", *lifetime)
	case bench:
		o.lifetime = 3600
	default:
		o.lifetime = 600
	}
	o.addAfter = -1
	if *addAfter != "" {
		o.addAfter = parseSeconds("add-protocol-after", *addAfter)
	}
	o.upload = parseSize(*upload)
	o.download = parseSize(*download)
	o.concurrent = parseCount(*concurrency)
	o.seconds = parseSeconds("seconds", *seconds)
	return o
}

// ---- identity and host ----

var keyTypes = map[string]int{
	"ed25519": crypto.Ed25519, "secp256k1": crypto.Secp256k1,
	"rsa": crypto.RSA, "ecdsa": crypto.ECDSA,
}

func loadKey(o *options) (crypto.PrivKey, error) {
	if o.keyFile != "" {
		b, err := os.ReadFile(o.keyFile)
		if err != nil {
			return nil, err
		}
		return crypto.UnmarshalPrivateKey(b)
	}
	if o.seed != nil {
		seed := sha256.Sum256([]byte(*o.seed))
		k := ed25519.NewKeyFromSeed(seed[:])
		return crypto.UnmarshalEd25519PrivateKey(k)
	}
	t, ok := keyTypes[strings.ToLower(o.keyType)]
	if !ok {
		fail("unknown key type: %s", o.keyType)
	}
	bits := -1
	if t == crypto.RSA {
		bits = 2048
	}
	priv, _, err := crypto.GenerateKeyPair(t, bits)
	return priv, err
}

// loadPSK reads a private network key file (exit 2 when it is bad).
func loadPSK(path string) pnet.PSK {
	f, err := os.Open(path)
	if err != nil {
		fail("--psk: %v", err)
	}
	defer f.Close()
	psk, err := pnet.DecodeV1PSK(f)
	if err != nil {
		fail("--psk %s: %v", path, err)
	}
	return psk
}

// yamuxTransport: go-libp2p's yamux settings without keep-alive pings (a
// test sees only the traffic it asks for) and with room for thousands of
// streams opening at once.
func yamuxTransport() *yamux.Transport {
	cfg := *yamux.DefaultTransport.Config()
	cfg.EnableKeepAlive = false
	cfg.AcceptBacklog = 4096
	return (*yamux.Transport)(&cfg)
}

// newHost makes a go-libp2p host that speaks TCP, the security protocols
// asked for (most preferred first) and yamux, with no resource limits, no
// connection manager, no relay and no metrics.
func newHost(o *options, priv crypto.PrivKey, listen []string) (host.Host, error) {
	opts := []libp2p.Option{
		libp2p.Identity(priv),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Muxer(yamux.ID, yamuxTransport()),
		libp2p.ResourceManager(&network.NullResourceManager{}),
		libp2p.ConnectionManager(&connmgr.NullConnMgr{}),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.DisableIdentifyAddressDiscovery(),
		libp2p.UserAgent(agentVersion),
		libp2p.Ping(true),
	}
	if o.psk != nil {
		opts = append(opts, libp2p.PrivateNetwork(o.psk))
	}
	if len(listen) > 0 {
		opts = append(opts, libp2p.ListenAddrStrings(listen...))
	} else {
		opts = append(opts, libp2p.NoListenAddrs)
	}
	for _, s := range o.security {
		switch s {
		case "noise":
			opts = append(opts, libp2p.Security(noise.ID, noise.New))
		case "tls":
			opts = append(opts, libp2p.Security(tls.ID, tls.New))
		}
	}
	return libp2p.New(opts...)
}

// connInfo: the fields of peer.mjs's connection events.
func connInfo(c network.Conn) obj {
	st := c.ConnState()
	dir := "inbound"
	if c.Stat().Direction == network.DirOutbound {
		dir = "outbound"
	}
	return obj{
		{"peerId", c.RemotePeer().String()},
		{"remoteAddr", c.RemoteMultiaddr().String()},
		{"direction", dir},
		{"encryption", string(st.Security)},
		{"multiplexer", string(st.StreamMultiplexer)},
	}
}

// hostAddrs: the host's addresses with /p2p/ID, sorted.
func hostAddrs(h host.Host) []string {
	addrs := h.Addrs()
	if len(addrs) == 0 {
		addrs = h.Network().ListenAddresses()
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.String()+"/p2p/"+h.ID().String())
	}
	sort.Strings(out)
	return out
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "xcheck" {
		os.Exit(xcheckMain(args[1:]))
	}
	bench := false
	if len(args) > 0 && args[0] == "bench" {
		bench = true
		args = args[1:]
	}
	o := parseOptions(args, bench)
	priv, err := loadKey(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lp2p-go-peer: identity: %v\n", err)
		os.Exit(2)
	}
	switch {
	case o.dial != "" && (o.bench || o.benchName != ""):
		os.Exit(runBench(o))
	case o.dial != "":
		os.Exit(runClient(o, priv))
	default:
		os.Exit(runServer(o, priv))
	}
}
