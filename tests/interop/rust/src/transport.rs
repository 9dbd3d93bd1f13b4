//! TCP with the security and muxer negotiations done here, so that the
//! protocols really chosen (multistream-select's answer) are known: the
//! stock upgrade stack of rust-libp2p does not report them.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{AsyncRead, AsyncWrite};
use libp2p::core::muxing::StreamMuxerBox;
use libp2p::core::transport::{timeout::TransportTimeout, Boxed, Transport};
use libp2p::core::upgrade::{InboundConnectionUpgrade, OutboundConnectionUpgrade};
use libp2p::core::ConnectedPoint;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::pnet::{PnetConfig, PreSharedKey};
use libp2p::{noise, tcp, tls, yamux, Multiaddr, PeerId};
use multistream_select::{dialer_select_proto, listener_select_proto, Version};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sec {
    Noise,
    Tls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mux {
    Yamux,
    Mplex,
}

impl Sec {
    pub fn id(self) -> &'static str {
        match self {
            Sec::Noise => "/noise",
            Sec::Tls => "/tls/1.0.0",
        }
    }
}

impl Mux {
    pub fn id(self) -> &'static str {
        match self {
            Mux::Yamux => "/yamux/1.0.0",
            Mux::Mplex => "/mplex/6.7.0",
        }
    }
}

/// What each connection negotiated, by `endpoint_key`, until the swarm
/// reports the connection.
pub type Negotiated = Arc<Mutex<HashMap<String, (Sec, Mux)>>>;

/// The remote address of a connection without /p2p/: the key of
/// `Negotiated`, the same in the transport and in swarm events.
pub fn endpoint_key(endpoint: &ConnectedPoint) -> String {
    without_p2p(endpoint.get_remote_address()).to_string()
}

pub fn without_p2p(addr: &Multiaddr) -> Multiaddr {
    addr.iter().filter(|p| !matches!(p, Protocol::P2p(_))).collect()
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

fn other<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> io::Error {
    move |e| io::Error::other(format!("{what}: {e}"))
}

pub fn build(
    key: &Keypair,
    secs: Vec<Sec>,
    muxes: Vec<Mux>,
    psk: Option<PreSharedKey>,
    negotiated: Negotiated,
) -> io::Result<Boxed<(PeerId, StreamMuxerBox)>> {
    let noise = noise::Config::new(key).map_err(other("noise"))?;
    let tls = tls::Config::new(key).map_err(other("tls"))?;
    let mut ycfg = yamux::Config::default();
    ycfg.set_max_num_streams(4096);
    let mut mcfg = libp2p_mplex::Config::new();
    mcfg.set_max_num_streams(4096);
    // a slow reader must stall its sender, not lose its stream
    mcfg.set_max_buffer_behaviour(libp2p_mplex::MaxBufferBehaviour::Block);
    let tcp = tcp::tokio::Transport::new(tcp::Config::default().nodelay(true));
    let upgraded = tcp.and_then(move |socket, endpoint: ConnectedPoint| {
        let (noise, tls, ycfg, mcfg) = (noise.clone(), tls.clone(), ycfg.clone(), mcfg.clone());
        let (secs, muxes, negotiated) = (secs.clone(), muxes.clone(), negotiated.clone());
        let psk = psk.clone();
        async move {
            let dialer = endpoint.is_dialer();
            // a private network: the nonces, then XSalsa20 under everything
            let socket: Box<dyn Io> = match psk {
                Some(k) => Box::new(PnetConfig::new(k).handshake(socket).await.map_err(other("pnet"))?),
                None => Box::new(socket),
            };
            let names: Vec<&'static str> = secs.iter().map(|s| s.id()).collect();
            let (name, io) = if dialer {
                dialer_select_proto(socket, names, Version::V1).await
            } else {
                listener_select_proto(socket, names).await
            }
            .map_err(other("security negotiation"))?;
            let sec = if name == Sec::Noise.id() { Sec::Noise } else { Sec::Tls };
            let (peer, io): (PeerId, Box<dyn Io>) = match (sec, dialer) {
                (Sec::Noise, true) => {
                    let (p, s) = noise.upgrade_outbound(io, name).await.map_err(other("noise"))?;
                    (p, Box::new(s))
                }
                (Sec::Noise, false) => {
                    let (p, s) = noise.upgrade_inbound(io, name).await.map_err(other("noise"))?;
                    (p, Box::new(s))
                }
                (Sec::Tls, true) => {
                    let (p, s) = tls.upgrade_outbound(io, name).await.map_err(other("tls"))?;
                    (p, Box::new(s))
                }
                (Sec::Tls, false) => {
                    let (p, s) = tls.upgrade_inbound(io, name).await.map_err(other("tls"))?;
                    (p, Box::new(s))
                }
            };
            let names: Vec<&'static str> = muxes.iter().map(|m| m.id()).collect();
            let (name, io) = if dialer {
                dialer_select_proto(io, names, Version::V1).await
            } else {
                listener_select_proto(io, names).await
            }
            .map_err(other("muxer negotiation"))?;
            let mux = if name == Mux::Yamux.id() { Mux::Yamux } else { Mux::Mplex };
            let muxer = match (mux, dialer) {
                (Mux::Yamux, true) => StreamMuxerBox::new(ycfg.upgrade_outbound(io, name).await.map_err(other("yamux"))?),
                (Mux::Yamux, false) => StreamMuxerBox::new(ycfg.upgrade_inbound(io, name).await.map_err(other("yamux"))?),
                (Mux::Mplex, true) => StreamMuxerBox::new(mcfg.upgrade_outbound(io, name).await.map_err(other("mplex"))?),
                (Mux::Mplex, false) => StreamMuxerBox::new(mcfg.upgrade_inbound(io, name).await.map_err(other("mplex"))?),
            };
            negotiated.lock().unwrap().insert(endpoint_key(&endpoint), (sec, mux));
            Ok::<_, io::Error>((peer, muxer))
        }
    });
    Ok(TransportTimeout::new(upgraded, Duration::from_secs(30)).boxed())
}
