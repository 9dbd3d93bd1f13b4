//! The libp2p perf protocol (`/perf/1.0.0`, libp2p/specs perf/perf.md),
//! written here as js/bench-perf.mjs and go/bench.go (the libp2p-perf
//! crate is not used).
//!
//! Client: send the wanted download size as an 8-byte big-endian integer,
//! upload, close the write side, read the download to its end.
//! Server: read the size, drain the upload to its end, send that many
//! bytes, close.  Bytes sent are zeros from one shared block; bytes
//! received are only counted.  Every error resets the stream (dropped).

use std::time::{Duration, Instant};

use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::swarm::Stream;
use libp2p::{Multiaddr, StreamProtocol};
use serde_json::{json, Map, Value};

use crate::node::Handle;
use crate::server::CHUNK;

pub const PERF: StreamProtocol = StreamProtocol::new("/perf/1.0.0");

static ZEROS: [u8; CHUNK] = [0u8; CHUNK];

/// Writes n zero bytes.
async fn send_zeros<W: futures::AsyncWrite + Unpin>(w: &mut W, n: u64) -> std::io::Result<()> {
    let mut left = n;
    while left > 0 {
        let k = left.min(CHUNK as u64) as usize;
        w.write_all(&ZEROS[..k]).await?;
        left -= k as u64;
    }
    Ok(())
}

/// Server side: one inbound perf stream.  Step 3 (sending) starts only
/// after step 2 (the upload read to its end), as the spec requires.
pub async fn serve(mut stream: Stream) -> std::io::Result<()> {
    let mut hdr = [0u8; 8];
    stream.read_exact(&mut hdr).await?; // a short header: dropped, so reset
    let mut buf = vec![0u8; CHUNK];
    while stream.read(&mut buf).await? > 0 {}
    send_zeros(&mut stream, u64::from_be_bytes(hdr)).await?;
    stream.close().await
}

/// The process's CPU time (user and system, every thread) so far.
fn cpu_time() -> Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: std::os::raw::c_long,
        tv_nsec: std::os::raw::c_long,
    }
    extern "C" {
        fn clock_gettime(clock: std::os::raw::c_int, ts: *mut Timespec) -> std::os::raw::c_int;
    }
    const CLOCK_PROCESS_CPUTIME_ID: std::os::raw::c_int = 2; // Linux
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one struct timespec (two longs on
    // Linux, for 32- and 64-bit time_t alike on the targets built here)
    if unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn gbps(bytes: u64, s: f64) -> f64 {
    if s > 0.0 {
        (bytes as f64 * 8.0 / 1e9 / s * 1e4).round() / 1e4
    } else {
        0.0
    }
}

fn err<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// `--bench perf`: one transfer on a new connection to addr.  Returns the
/// fields of the result line after "ok" (those of lp2pd perf --json, as
/// bench-peer.mjs and go's bench.go print them), cpuSeconds last.
pub async fn client(h: &Handle, addr: Multiaddr, upload: u64, download: u64) -> Result<Map<String, Value>, String> {
    let conn = h.dial(addr).await?;
    // CPU time is counted from here, as js's markCpu() and go's markCPU()
    let cpu0 = cpu_time();
    let stream = h.open(&conn, PERF).await?;
    let t_open = Instant::now();
    let (mut rd, mut wr) = stream.split();
    let read = async {
        let mut buf = vec![0u8; CHUNK];
        let mut received = 0u64;
        let mut t_response = None;
        loop {
            let n = rd.read(&mut buf).await.map_err(err("read"))?;
            if n == 0 {
                return Ok::<_, String>((received, t_response));
            }
            t_response.get_or_insert_with(Instant::now);
            received += n as u64;
        }
    };
    let write = async {
        wr.write_all(&download.to_be_bytes()).await.map_err(err("write"))?;
        send_zeros(&mut wr, upload).await.map_err(err("write"))?;
        wr.close().await.map_err(err("close"))
    };
    let (r, w) = futures::join!(read, write);
    w?;
    let (received, t_response) = r?;
    let t_end = Instant::now();
    drop((rd, wr));
    if received != download {
        return Err(format!("perf: downloaded {received} of {download} bytes"));
    }
    let t_response = t_response.unwrap_or(t_end);
    let up = (t_response - t_open).as_secs_f64();
    let down = (t_end - t_response).as_secs_f64();
    // as go's closeHost: close the connection, but wait no longer than 2 s
    let _ = tokio::time::timeout(Duration::from_secs(2), h.hang_up(conn.peer)).await;
    let cpu = cpu_time().saturating_sub(cpu0);
    match json!({
        "type": "final",
        "security": conn.sec.map(|s| s.id()),
        "muxer": conn.mux.map(|m| m.id()),
        "uploadBytes": upload,
        "uploadSeconds": up,
        "uploadGbps": gbps(upload, up),
        "downloadBytes": download,
        "downloadSeconds": down,
        "downloadGbps": gbps(download, down),
        "timeSeconds": (t_end - t_open).as_secs_f64(),
        "cpuSeconds": cpu.as_secs_f64(),
    }) {
        Value::Object(m) => Ok(m),
        _ => unreachable!(),
    }
}
