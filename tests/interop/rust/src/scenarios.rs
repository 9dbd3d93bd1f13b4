//! Client scenarios (`--dial ADDR --test NAME`), as js/scenarios.mjs: each
//! returns the details of its result line, or an error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::identity::{KeyType, Keypair};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::Stream;
use libp2p::Multiaddr;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::gen::{ByteGen, GenChecker};
use crate::node::{ConnInfo, Event, Handle};
use crate::server::{CHUNK, ECHO, RESET, SINK, SOURCE};
use crate::transport::without_p2p;

const MIB: u64 = 1 << 20;

pub const NAMES: &[&str] = &[
    "echo", "streams", "half-close", "reset", "remote-reset", "peer-id", "wrong-peer-id", "ping",
    "identify", "sink", "source", "unsupported",
];

pub struct Opts {
    pub size: Option<u64>,
    pub count: Option<u64>,
}

type Details = Map<String, Value>;

fn obj(v: Value) -> Details {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn rate(bytes: u64, t0: Instant) -> Details {
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    let mbps = (bytes as f64 / 1e3 / ms * 100.0).round() / 100.0;
    obj(json!({"bytes": bytes, "seconds": ms / 1000.0, "mbps": mbps}))
}

fn io<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

pub async fn run(h: &Handle, test: &str, addr: Multiaddr, o: &Opts) -> Result<Details, String> {
    match test {
        "echo" => echo(h, addr, o.size.unwrap_or(100 * MIB)).await,
        "streams" => streams(h, addr, o.count.unwrap_or(500)).await,
        "half-close" => half_close(h, addr, o.size.unwrap_or(MIB)).await,
        "reset" => reset(h, addr).await,
        "remote-reset" => remote_reset(h, addr).await,
        "peer-id" => peer_id(h, addr).await,
        "wrong-peer-id" => wrong_peer_id(h, addr).await,
        "ping" => ping(h, addr, o.count.unwrap_or(10)).await,
        "identify" => identify(h, addr).await,
        "sink" => sink(h, addr, o.size.unwrap_or(100 * MIB)).await,
        "source" => source(h, addr, o.size.unwrap_or(100 * MIB)).await,
        "unsupported" => unsupported(h, addr).await,
        _ => Err(format!("unknown test {test}")),
    }
}

/// Writes n generator bytes from gen in CHUNK pieces.
async fn write_gen<W: futures::AsyncWrite + Unpin>(w: &mut W, gen: &mut ByteGen, n: u64) -> Result<(), String> {
    let mut buf = vec![0u8; CHUNK];
    let mut left = n;
    while left > 0 {
        let k = left.min(CHUNK as u64) as usize;
        gen.fill(&mut buf[..k]);
        w.write_all(&buf[..k]).await.map_err(io("write"))?;
        left -= k as u64;
    }
    Ok(())
}

/// Reads to EOF, checking against the generator; `offset` follows.
async fn read_gen<R: futures::AsyncRead + Unpin>(r: &mut R, offset: &AtomicU64) -> Result<u64, String> {
    let mut checker = GenChecker::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = r.read(&mut buf).await.map_err(io("read"))?;
        if n == 0 {
            return Ok(checker.offset);
        }
        checker.check(&buf[..n])?;
        offset.store(checker.offset, Ordering::Relaxed);
    }
}

async fn read_all<R: futures::AsyncRead + Unpin>(r: &mut R) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    r.read_to_end(&mut v).await.map_err(io("read"))?;
    Ok(v)
}

/// One echo round trip of payload on a new stream of conn.
async fn echo_once(h: &Handle, conn: &ConnInfo, payload: &[u8]) -> Result<(), String> {
    let stream = h.open(conn, ECHO).await?;
    let (mut rd, mut wr) = stream.split();
    let write = async {
        wr.write_all(payload).await.map_err(io("write"))?;
        wr.close().await.map_err(io("close"))
    };
    let (got, w) = futures::join!(read_all(&mut rd), write);
    w?;
    let got = got?;
    if got != payload {
        return Err(format!("echo mismatch: sent {} bytes, got {}", payload.len(), got.len()));
    }
    Ok(())
}

async fn echo(h: &Handle, addr: Multiaddr, size: u64) -> Result<Details, String> {
    let conn = h.dial(addr).await?;
    let stream = h.open(&conn, ECHO).await?;
    let (mut rd, mut wr) = stream.split();
    let t0 = Instant::now();
    let offset = AtomicU64::new(0);
    let write = async {
        write_gen(&mut wr, &mut ByteGen::new(), size).await?;
        wr.close().await.map_err(io("close"))
    };
    let (got, w) = futures::join!(read_gen(&mut rd, &offset), write);
    w?;
    let got = got?;
    if got != size {
        return Err(format!("echo returned {got} of {size} bytes"));
    }
    Ok(rate(size, t0))
}

async fn streams(h: &Handle, addr: Multiaddr, count: u64) -> Result<Details, String> {
    let conn = h.dial(addr).await?;
    let t0 = Instant::now();
    let payload = move |i: u64| format!("lp2p interop stream {i} of {count}").into_bytes();
    // one stream first: js-libp2p refuses more than 10 streams before it
    // is ready (README.md, "What js-libp2p requires of a dialer")
    if count > 0 {
        echo_once(h, &conn, &payload(0)).await?;
    }
    let all = (1..count).map(|i| {
        let (h, conn) = (h.clone(), conn.clone());
        tokio::spawn(async move { echo_once(&h, &conn, &payload(i)).await })
    });
    for r in futures::future::join_all(all).await {
        r.map_err(io("task"))??;
    }
    Ok(obj(json!({"streams": count, "seconds": t0.elapsed().as_secs_f64()})))
}

async fn half_close(h: &Handle, addr: Multiaddr, size: u64) -> Result<Details, String> {
    let conn = h.dial(addr).await?;
    let stream = h.open(&conn, ECHO).await?;
    let (mut rd, mut wr) = stream.split();
    let offset = AtomicU64::new(0);
    let read_at_close = AtomicU64::new(0);
    let write = async {
        write_gen(&mut wr, &mut ByteGen::new(), size).await?;
        wr.close().await.map_err(io("close"))?;
        read_at_close.store(offset.load(Ordering::Relaxed), Ordering::Relaxed);
        if wr.write_all(b"x").await.is_ok() && wr.flush().await.is_ok() {
            return Err("a write after close succeeded".to_string());
        }
        Ok(())
    };
    let (got, w) = futures::join!(read_gen(&mut rd, &offset), write);
    w?;
    let got = got?;
    if got != size {
        return Err(format!("read {got} of {size} bytes after half-close"));
    }
    Ok(obj(json!({"bytes": size, "readAfterClose": size - read_at_close.load(Ordering::Relaxed)})))
}

fn connection_status(h: &Handle, conn: &ConnInfo) -> Result<&'static str, String> {
    if h.is_open(conn.id) {
        Ok("open")
    } else {
        Err("connection closed".into())
    }
}

async fn reset(h: &Handle, addr: Multiaddr) -> Result<Details, String> {
    let conn = h.dial(addr).await?;
    let mut stream: Stream = h.open(&conn, ECHO).await?;
    stream.write_all(&ByteGen::new().next(1024)).await.map_err(io("write"))?;
    stream.flush().await.map_err(io("flush"))?;
    // wait for some echo so the remote has surely opened its end
    let mut b = [0u8; 1024];
    if stream.read(&mut b).await.map_err(io("read"))? == 0 {
        return Err("echo stream ended before any echo".into());
    }
    drop(stream); // an open libp2p stream dropped is reset
    echo_once(h, &conn, &ByteGen::with_seed(7).next(4096)).await?;
    Ok(obj(json!({"connectionStatus": connection_status(h, &conn)?})))
}

async fn remote_reset(h: &Handle, addr: Multiaddr) -> Result<Details, String> {
    let conn = h.dial(addr).await?;
    let mut stream = h.open(&conn, RESET).await?;
    stream.write_all(&[1]).await.map_err(io("write"))?;
    stream.flush().await.map_err(io("flush"))?;
    let mut b = [0u8; 64];
    // rust-libp2p's muxers read a reset stream as EOF: after EOF, a reset
    // stream refuses writes, a stream closed by FIN does not.
    let error = loop {
        match stream.read(&mut b).await {
            Err(e) => break format!("{:?}: {e}", e.kind()),
            Ok(0) => match stream.write_all(&[2]).await {
                Err(e) => break format!("{:?}: read EOF, then write: {e}", e.kind()),
                Ok(()) => match stream.flush().await {
                    Err(e) => break format!("{:?}: read EOF, then flush: {e}", e.kind()),
                    Ok(()) => return Err("stream ended without a reset".into()),
                },
            },
            Ok(_) => {}
        }
    };
    drop(stream);
    echo_once(h, &conn, &ByteGen::with_seed(7).next(4096)).await?;
    Ok(obj(json!({"streamError": error, "connectionStatus": connection_status(h, &conn)?})))
}

fn addr_peer_id(addr: &Multiaddr) -> Option<String> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(id) => Some(id.to_string()),
        _ => None,
    })
}

async fn peer_id(h: &Handle, addr: Multiaddr) -> Result<Details, String> {
    let expected = addr_peer_id(&addr);
    let conn = h.dial(addr).await?;
    let seen = conn.peer.to_string();
    if let Some(e) = &expected {
        if *e != seen {
            return Err(format!("dialled {e}, connected to {seen}"));
        }
    }
    Ok(obj(json!({
        "expected": expected,
        "seen": seen,
        "encryption": conn.sec.map(|s| s.id()),
        "multiplexer": conn.mux.map(|m| m.id()),
    })))
}

async fn wrong_peer_id(h: &Handle, addr: Multiaddr) -> Result<Details, String> {
    let plain = without_p2p(&addr);
    let real = h.dial(plain.clone()).await?;
    h.hang_up(real.peer).await;
    let other = Keypair::generate_ed25519().public().to_peer_id();
    match h.dial(plain.with(Protocol::P2p(other))).await {
        Ok(conn) => Err(format!("dial as {other} reached {}", conn.peer)),
        Err(e) => Ok(obj(json!({
            "realPeerId": real.peer.to_string(),
            "dialedAs": other.to_string(),
            "refusal": e,
        }))),
    }
}

async fn ping(h: &Handle, addr: Multiaddr, count: u64) -> Result<Details, String> {
    // rust-libp2p's ping pings the new connection at once and again after
    // each answer (the interval is 1 ms here): the first `count` count
    let mut events = h.events.subscribe();
    let conn = h.dial(addr).await?;
    let mut rtts = Vec::new();
    while (rtts.len() as u64) < count {
        match events.recv().await {
            Ok(Event::Ping(id, r)) if id == conn.id => rtts.push(r?.as_secs_f64() * 1000.0),
            Ok(_) => {}
            Err(e) => return Err(format!("events: {e}")),
        }
    }
    let min = rtts.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = rtts.iter().cloned().fold(0.0, f64::max);
    let avg = rtts.iter().sum::<f64>() / count.max(1) as f64;
    Ok(obj(json!({"count": count, "rtts": rtts, "min": min, "max": max, "avg": avg})))
}

fn key_type_name(t: KeyType) -> &'static str {
    match t {
        KeyType::Ed25519 => "Ed25519",
        KeyType::Secp256k1 => "secp256k1",
        KeyType::RSA => "RSA",
        KeyType::Ecdsa => "ECDSA",
    }
}

async fn identify(h: &Handle, addr: Multiaddr) -> Result<Details, String> {
    // rust-libp2p identifies every new connection; there is no way to ask
    // for a second exchange, so wait for that one (10 s)
    let mut events = h.events.subscribe();
    let conn = h.dial(addr).await?;
    let wait = async {
        loop {
            match events.recv().await {
                Ok(Event::Identified(id, info)) if id == conn.id => return Ok(info),
                Ok(_) => {}
                Err(e) => return Err(format!("events: {e}")),
            }
        }
    };
    let info = tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .map_err(|_| "no identify answer within 10 s".to_string())??;
    if info.public_key.to_peer_id() != conn.peer {
        return Err("identify public key does not match the remote peer id".into());
    }
    Ok(obj(json!({
        "peerId": conn.peer.to_string(),
        "agentVersion": info.agent_version,
        "protocolVersion": info.protocol_version,
        "protocols": info.protocols.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "listenAddrs": info.listen_addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "observedAddr": info.observed_addr.to_string(),
        "publicKeyType": key_type_name(info.public_key.key_type()),
        "signedPeerRecord": info.signed_peer_record.is_some(),
    })))
}

async fn sink(h: &Handle, addr: Multiaddr, size: u64) -> Result<Details, String> {
    let conn = h.dial(addr).await?;
    let stream = h.open(&conn, SINK).await?;
    let (mut rd, mut wr) = stream.split();
    let t0 = Instant::now();
    let hash = Arc::new(std::sync::Mutex::new(Sha256::new()));
    let write = async {
        let mut gen = ByteGen::new();
        let mut buf = vec![0u8; CHUNK];
        let mut left = size;
        while left > 0 {
            let k = left.min(CHUNK as u64) as usize;
            gen.fill(&mut buf[..k]);
            hash.lock().unwrap().update(&buf[..k]);
            wr.write_all(&buf[..k]).await.map_err(io("write"))?;
            left -= k as u64;
        }
        wr.close().await.map_err(io("close"))
    };
    let (reply, w) = futures::join!(read_all(&mut rd), write);
    w?;
    let reply = reply?;
    let details = rate(size, t0);
    if reply.len() != 40 {
        return Err(format!("sink replied {} bytes, want 40", reply.len()));
    }
    let count = u64::from_be_bytes(reply[..8].try_into().unwrap());
    if count != size {
        return Err(format!("sink counted {count} of {size} bytes"));
    }
    let digest = hash.lock().unwrap().clone().finalize();
    if reply[8..] != digest[..] {
        return Err("sink SHA-256 mismatch".into());
    }
    Ok(details)
}

async fn source(h: &Handle, addr: Multiaddr, size: u64) -> Result<Details, String> {
    let conn = h.dial(addr).await?;
    let stream = h.open(&conn, SOURCE).await?;
    let (mut rd, mut wr) = stream.split();
    let t0 = Instant::now();
    let offset = AtomicU64::new(0);
    let write = async {
        wr.write_all(&size.to_be_bytes()).await.map_err(io("write"))?;
        wr.close().await.map_err(io("close"))
    };
    let (got, w) = futures::join!(read_gen(&mut rd, &offset), write);
    w?;
    let got = got?;
    if got != size {
        return Err(format!("source sent {got} of {size} bytes"));
    }
    Ok(rate(size, t0))
}

/// unsupported: the remote must refuse a protocol it does not speak
/// (multistream-select "na"), and the connection must still carry a new
/// stream.
async fn unsupported(h: &Handle, addr: Multiaddr) -> Result<Details, String> {
    const P: libp2p::StreamProtocol = libp2p::StreamProtocol::new("/lp2p-test/unsupported/1.0.0");
    let conn = h.dial(addr).await?;
    let refusal = match h.open(&conn, P).await {
        Ok(_) => return Err(format!("the remote accepted {P}")),
        Err(e) if e.starts_with("UnsupportedProtocolError") => e,
        Err(e) => return Err(e),
    };
    echo_once(h, &conn, &ByteGen::with_seed(7).next(4096)).await?;
    Ok(obj(json!({"refusal": refusal, "connectionStatus": connection_status(h, &conn)?})))
}
