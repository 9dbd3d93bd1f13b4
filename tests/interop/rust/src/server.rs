//! The test protocols served to the remote (README.md, "Server mode"),
//! and /perf/1.0.0 (perf.rs).
//! Dropping a libp2p stream that is still open resets it (yamux RST,
//! mplex Reset): every error path here resets by dropping.

use futures::{AsyncReadExt, AsyncWriteExt, FutureExt};
use libp2p::swarm::Stream;
use libp2p::StreamProtocol;
use sha2::{Digest, Sha256};

use crate::gen::ByteGen;

pub const ECHO: StreamProtocol = StreamProtocol::new("/echo/1.0.0");
pub const SINK: StreamProtocol = StreamProtocol::new("/lp2p-test/sink/1.0.0");
pub const SOURCE: StreamProtocol = StreamProtocol::new("/lp2p-test/source/1.0.0");
pub const RESET: StreamProtocol = StreamProtocol::new("/lp2p-test/reset/1.0.0");
/// Registered at run time by --add-protocol-after.
pub const LATE: StreamProtocol = StreamProtocol::new("/lp2p-test/late-rust/1.0.0");
pub const CHUNK: usize = 64 * 1024;
/// Largest N the source protocol sends (1 TiB); larger requests are reset.
pub const SOURCE_MAX: u64 = 1 << 40;

pub fn protocols() -> Vec<StreamProtocol> {
    vec![ECHO, SINK, SOURCE, RESET, crate::perf::PERF]
}

/// Serves one inbound stream on its own task (behaviour::Serve).
pub fn serve(protocol: StreamProtocol, stream: Stream) {
    tokio::spawn(async move {
        let _ = match protocol.as_ref() {
            "/echo/1.0.0" => echo(stream).await,
            "/lp2p-test/sink/1.0.0" => sink(stream).await,
            "/lp2p-test/source/1.0.0" => source(stream).await,
            // reset: drop (reset) the stream on its first byte; late: close
            "/lp2p-test/reset/1.0.0" => reset(stream).await,
            "/perf/1.0.0" => crate::perf::serve(stream).await,
            _ => late(stream).await,
        };
    });
}

/// Writes back everything read; closes the write side after the remote
/// closed its own.
async fn echo(mut stream: Stream) -> std::io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        stream.write_all(&buf[..n]).await?;
        stream.flush().await?;
    }
    stream.close().await
}

/// Reads to the end, then writes the count (8 bytes, big-endian) and the
/// SHA-256 of everything read, and closes.
async fn sink(mut stream: Stream) -> std::io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    let mut hash = Sha256::new();
    let mut count = 0u64;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        count += n as u64;
    }
    let mut reply = count.to_be_bytes().to_vec();
    reply.extend_from_slice(&hash.finalize());
    stream.write_all(&reply).await?;
    stream.close().await
}

/// Reads an 8-byte big-endian N, sends the first N bytes of the generator
/// stream and closes the write side.  A longer request (bytes after the
/// 8, even while sending) or N > 2^40 resets the stream.
async fn source(mut stream: Stream) -> std::io::Result<()> {
    let mut req = [0u8; 8];
    let mut have = 0;
    let mut buf = [0u8; 16];
    while have < 8 {
        let n = stream.read(&mut buf[..16 - have]).await?;
        if n == 0 || have + n > 8 {
            return Ok(()); // short or long request: dropped, so reset
        }
        req[have..have + n].copy_from_slice(&buf[..n]);
        have += n;
    }
    let n = u64::from_be_bytes(req);
    if n > SOURCE_MAX {
        return Ok(());
    }
    let (mut rd, mut wr) = stream.split();
    let send = async {
        let mut gen = ByteGen::new();
        let mut chunk = vec![0u8; CHUNK];
        let mut left = n;
        while left > 0 {
            let k = left.min(CHUNK as u64) as usize;
            gen.fill(&mut chunk[..k]);
            wr.write_all(&chunk[..k]).await?;
            left -= k as u64;
        }
        wr.close().await
    };
    // the remote may close its write side, but must send nothing more
    let watch = async {
        let mut b = [0u8; 1];
        match rd.read(&mut b).await {
            Ok(0) => futures::future::pending::<()>().await,
            _ => {}
        }
    };
    futures::select! {
        r = Box::pin(send).fuse() => r,
        _ = Box::pin(watch).fuse() => Ok(()), // dropped: reset
    }
}

async fn reset(mut stream: Stream) -> std::io::Result<()> {
    let mut b = [0u8; 1];
    let _ = stream.read(&mut b).await;
    Ok(())
}

async fn late(mut stream: Stream) -> std::io::Result<()> {
    stream.close().await
}
