//! lp2p-rust-peer: a rust-libp2p peer for lp2p's interoperability tests,
//! with the command line and JSON-lines output of js/peer.mjs (see
//! README.md here and in tests/interop), `--bench perf` (the perf client
//! of js/bench-peer.mjs) and `xcheck gen|verify`.

mod behaviour;
mod gen;
mod node;
mod perf;
mod scenarios;
mod server;
mod transport;
mod xcheck;
mod xcheck_ma;

use std::io::Write;
use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::pnet::PreSharedKey;
use libp2p::Multiaddr;
use sha2::{Digest, Sha256};

use crate::transport::{Mux, Sec};

const USAGE: &str = "usage: lp2p-rust-peer (--listen MULTIADDR | --dial MULTIADDR --test NAME) [options]
       lp2p-rust-peer --dial MULTIADDR --bench perf --upload N --download N [options]
       lp2p-rust-peer xcheck gen N [SEED] | xcheck verify FILE
  --listen MA        listen (repeatable); print {\"event\":\"listening\",...} when ready
  --dial MA          dial MA and run the scenario named by --test
  --test NAME        echo, streams, half-close, reset, remote-reset, peer-id, wrong-peer-id, ping, identify, sink, source, unsupported
  --bench perf       one /perf/1.0.0 transfer; prints bench-peer.mjs's result line
  --upload BYTES     perf: bytes to send (default 0; suffix K, M, G)
  --download BYTES   perf: bytes to ask for (default 0; suffix K, M, G)
  --size BYTES       transfer size for echo/half-close/sink/source (suffix K, M, G = KiB, MiB, GiB)
  --count N          number of streams (streams) or pings (ping)
  --security LIST    noise, tls or a comma list in order of preference (default noise)
  --muxer LIST       yamux, mplex or a comma list in order of preference (default yamux)
  --seed TEXT        Ed25519 identity from SHA-256(TEXT)
  --key-type TYPE    random identity of TYPE: Ed25519 (default), secp256k1, ECDSA (P-256), RSA (2048)
  --key-file PATH    identity from a protobuf-encoded libp2p private key
  --psk FILE         join the private network of this key file (PSK v1,
                     /key/swarm/psk/1.0.0/; libp2p-pnet reads /base16/ only)
  --timeout SECONDS  client: fail the scenario after this long (default 300)
  --lifetime SECONDS server: exit after this long, 0 = never (default 600)
  --identify-push    also push listen address changes (identify push itself is always on)
  --report-identify  print {\"event\":\"peer:identify\",...} for every identify or push received
  --signed-peer-record
                     send rust-libp2p's signed peer record (its legacy form: domain
                     libp2p-routing-state), which go, js and lp2p cannot verify
  --add-protocol-after SECONDS
                     register /lp2p-test/late-rust/1.0.0 after SECONDS (print {\"event\":\"protocol-added\"})";

/// Prints one JSON line on stdout.
pub fn emit(v: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

fn fail(msg: &str) -> ! {
    eprintln!("lp2p-rust-peer: {msg}\n{USAGE}");
    std::process::exit(2);
}

#[derive(Default)]
struct Args {
    listen: Vec<String>,
    dial: Option<String>,
    test: Option<String>,
    bench: Option<String>,
    upload: Option<String>,
    download: Option<String>,
    size: Option<String>,
    count: Option<String>,
    security: Option<String>,
    muxer: Option<String>,
    seed: Option<String>,
    key_type: Option<String>,
    key_file: Option<String>,
    psk: Option<String>,
    timeout: Option<String>,
    lifetime: Option<String>,
    identify_push: bool,
    report_identify: bool,
    signed_peer_record: bool,
    add_protocol_after: Option<String>,
    help: bool,
}

fn parse_args(argv: &[String]) -> Args {
    let mut a = Args::default();
    let mut i = 0;
    while i < argv.len() {
        let (name, inline) = match argv[i].split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (argv[i].clone(), None),
        };
        i += 1;
        let flag = |a: &mut bool| {
            if inline.is_some() {
                fail(&format!("option {name} takes no value"));
            }
            *a = true;
        };
        match name.as_str() {
            "--identify-push" => flag(&mut a.identify_push),
            "--report-identify" => flag(&mut a.report_identify),
            "--signed-peer-record" => flag(&mut a.signed_peer_record),
            "--help" => flag(&mut a.help),
            _ => {
                let slot: &mut Option<String> = match name.as_str() {
                    "--dial" => &mut a.dial,
                    "--test" => &mut a.test,
                    "--bench" => &mut a.bench,
                    "--upload" => &mut a.upload,
                    "--download" => &mut a.download,
                    "--size" => &mut a.size,
                    "--count" => &mut a.count,
                    "--security" => &mut a.security,
                    "--muxer" => &mut a.muxer,
                    "--seed" => &mut a.seed,
                    "--key-type" => &mut a.key_type,
                    "--key-file" => &mut a.key_file,
                    "--psk" => &mut a.psk,
                    "--timeout" => &mut a.timeout,
                    "--lifetime" => &mut a.lifetime,
                    "--add-protocol-after" => &mut a.add_protocol_after,
                    "--listen" => {
                        let v = inline.clone().or_else(|| argv.get(i).cloned());
                        if inline.is_none() {
                            i += 1;
                        }
                        a.listen.push(v.unwrap_or_else(|| fail(&format!("option {name} needs a value"))));
                        continue;
                    }
                    _ => fail(&format!("unknown option {name}")),
                };
                let v = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        argv.get(i - 1).cloned().unwrap_or_else(|| fail(&format!("option {name} needs a value")))
                    }
                };
                *slot = Some(v);
            }
        }
    }
    a
}

fn parse_size(s: &str) -> u64 {
    let t = s.trim();
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    let (num, rest) = t.split_at(digits);
    let rest = rest.trim_start();
    let unit = rest.strip_suffix("iB").or_else(|| rest.strip_suffix("ib")).or_else(|| rest.strip_suffix("B"))
        .or_else(|| rest.strip_suffix("b")).unwrap_or(rest);
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => fail(&format!("bad size: {s}")),
    };
    if num.is_empty() || (unit.is_empty() && rest.len() > 0 && rest != "B" && rest != "b") {
        fail(&format!("bad size: {s}"));
    }
    num.parse::<u64>().ok().and_then(|n| n.checked_mul(1 << shift)).unwrap_or_else(|| fail(&format!("bad size: {s}")))
}

fn parse_count(s: &str) -> u64 {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        fail(&format!("bad count: {s}"));
    }
    s.parse().unwrap_or_else(|_| fail(&format!("bad count: {s}")))
}

fn parse_seconds(what: &str, s: &str) -> f64 {
    match s.trim().parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => v,
        _ => fail(&format!("bad {what}: {s}")),
    }
}

fn pick_list<T>(arg: &str, what: &str, f: impl Fn(&str) -> Option<T>) -> Vec<T> {
    arg.split(',').map(|n| f(n.trim()).unwrap_or_else(|| fail(&format!("unknown {what}: {n}")))).collect()
}

fn load_key(a: &Args) -> Keypair {
    if let Some(path) = &a.key_file {
        let bytes = std::fs::read(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
        return Keypair::from_protobuf_encoding(&bytes).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    }
    if let Some(seed) = &a.seed {
        let secret: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
        return Keypair::ed25519_from_bytes(secret).expect("32-byte Ed25519 seed");
    }
    let t = a.key_type.as_deref().unwrap_or("Ed25519");
    match t.to_ascii_lowercase().as_str() {
        "ed25519" => Keypair::generate_ed25519(),
        "secp256k1" => Keypair::generate_secp256k1(),
        "ecdsa" => Keypair::generate_ecdsa(),
        "rsa" => xcheck::generate_rsa(2048).unwrap_or_else(|e| fail(&format!("RSA key: {e}"))).0,
        _ => fail(&format!("unknown key type: {t}")),
    }
}

fn load_psk(path: &str) -> PreSharedKey {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("--psk {path}: {e}")));
    text.parse().unwrap_or_else(|e| fail(&format!("--psk {path}: {e}")))
}

fn parse_ma(s: &str) -> Multiaddr {
    s.parse().unwrap_or_else(|e| fail(&format!("bad multiaddr {s}: {e}")))
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("xcheck") {
        std::process::exit(xcheck::main(&argv[1..]));
    }
    let a = parse_args(&argv);
    if a.help {
        println!("{USAGE}");
        return;
    }
    let client = a.dial.is_some();
    if client == !a.listen.is_empty() {
        fail("give exactly one of --listen and --dial");
    }
    let test = a.test.clone().unwrap_or_default();
    let bench = a.bench.clone();
    if let Some(b) = &bench {
        if !client || a.test.is_some() || b != "perf" {
            fail(&format!("--bench perf needs --dial and no --test (got --bench {b})"));
        }
    } else if a.upload.is_some() || a.download.is_some() {
        fail("--upload and --download go with --bench perf");
    }
    let upload = parse_size(a.upload.as_deref().unwrap_or("0"));
    let download = parse_size(a.download.as_deref().unwrap_or("0"));
    if client && bench.is_none() && !scenarios::NAMES.contains(&test.as_str()) {
        fail(&format!("unknown or missing --test: {}", a.test.as_deref().unwrap_or("undefined")));
    }
    let secs = pick_list(a.security.as_deref().unwrap_or("noise"), "security", |n| match n {
        "noise" => Some(Sec::Noise),
        "tls" => Some(Sec::Tls),
        _ => None,
    });
    let muxes = pick_list(a.muxer.as_deref().unwrap_or("yamux"), "muxer", |n| match n {
        "yamux" => Some(Mux::Yamux),
        "mplex" => Some(Mux::Mplex),
        _ => None,
    });
    let sopts = scenarios::Opts { size: a.size.as_deref().map(parse_size), count: a.count.as_deref().map(parse_count) };
    let timeout = parse_seconds("timeout", a.timeout.as_deref().unwrap_or("300"));
    let lifetime = parse_seconds("lifetime", a.lifetime.as_deref().unwrap_or("600"));
    let late = a.add_protocol_after.as_deref().map(|s| parse_seconds("--add-protocol-after", s));
    let listen: Vec<Multiaddr> = a.listen.iter().map(|s| parse_ma(s)).collect();
    let dial = a.dial.as_deref().map(parse_ma);
    let key = load_key(&a);
    let psk = a.psk.as_deref().map(load_psk);
    let opts = node::Options {
        secs,
        muxes,
        psk,
        identify_push: a.identify_push,
        report_identify: a.report_identify,
        signed_peer_record: a.signed_peer_record,
        report_connections: !client,
        pinging: client && test == "ping",
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let code = rt.block_on(async move {
        let (mut swarm, negotiated) = match node::build(&key, &opts) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("lp2p-rust-peer: {e}");
                return 2;
            }
        };
        let mut addrs = Vec::new();
        if !client {
            match node::listen(&mut swarm, &listen).await {
                Ok(a) => addrs = a,
                Err(e) => {
                    eprintln!("lp2p-rust-peer: {e}");
                    return 2;
                }
            }
        }
        let h = node::spawn(swarm, negotiated, &opts);
        if let Some(s) = late {
            let h = h.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs_f64(s)).await;
                h.add_protocol(server::LATE);
            });
        }
        if let Some(b) = bench {
            run_bench(&h, &b, dial.unwrap(), upload, download, timeout).await
        } else if client {
            run_client(&h, &test, dial.unwrap(), &sopts, timeout).await
        } else {
            emit(serde_json::json!({
                "event": "listening",
                "peerId": h.local.to_string(),
                "addrs": addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            }));
            run_server(&h, lifetime).await
        }
    });
    std::process::exit(code);
}

async fn run_client(h: &node::Handle, test: &str, addr: Multiaddr, o: &scenarios::Opts, timeout: f64) -> i32 {
    let r = tokio::time::timeout(Duration::from_secs_f64(timeout), scenarios::run(h, test, addr, o))
        .await
        .unwrap_or_else(|_| Err(format!("TimeoutError: timed out after {timeout} s")));
    let mut line = serde_json::Map::new();
    line.insert("event".into(), "result".into());
    line.insert("test".into(), test.into());
    line.insert("ok".into(), r.is_ok().into());
    line.insert("localPeerId".into(), h.local.to_string().into());
    let code = match r {
        Ok(details) => {
            line.extend(details);
            0
        }
        Err(e) => {
            let e = if e.contains(": ") && e.split(": ").next().unwrap().ends_with("Error") { e } else { format!("Error: {e}") };
            line.insert("error".into(), e.into());
            1
        }
    };
    emit(serde_json::Value::Object(line));
    code
}

/// `--bench perf`: one result line as js/bench-peer.mjs prints it.
async fn run_bench(h: &node::Handle, bench: &str, addr: Multiaddr, upload: u64, download: u64, timeout: f64) -> i32 {
    let r = tokio::time::timeout(Duration::from_secs_f64(timeout), perf::client(h, addr, upload, download))
        .await
        .unwrap_or_else(|_| Err(format!("TimeoutError: timed out after {timeout} s")));
    let mut line = serde_json::Map::new();
    line.insert("event".into(), "result".into());
    line.insert("bench".into(), bench.into());
    line.insert("ok".into(), r.is_ok().into());
    let code = match r {
        Ok(details) => {
            line.extend(details);
            0
        }
        Err(e) => {
            let e = if e.contains(": ") && e.split(": ").next().unwrap().ends_with("Error") { e } else { format!("Error: {e}") };
            line.insert("error".into(), e.into());
            1
        }
    };
    emit(serde_json::Value::Object(line));
    code
}

async fn run_server(h: &node::Handle, lifetime: f64) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let life = async {
        if lifetime > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(lifetime)).await
        } else {
            futures::future::pending().await
        }
    };
    let reason = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
        _ = life => "lifetime",
    };
    // as js-libp2p's stop(): every connection closes
    let open: Vec<_> = h.open_conns.lock().unwrap().drain().map(|(_, c)| c).collect();
    for c in open {
        emit(c.json("connection:close"));
    }
    emit(serde_json::json!({"event": "stopped", "reason": reason}));
    0
}
