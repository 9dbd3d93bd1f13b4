//! The swarm on its own task, and the handle the client scenarios use.
//! Server events are printed here, as peer.mjs prints them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::pnet::PreSharedKey;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, Stream, SwarmEvent};
use libp2p::{identify, ping, Multiaddr, PeerId, StreamProtocol, Swarm};
use serde_json::json;
use tokio::sync::{broadcast, mpsc};

use crate::behaviour::{Behaviour, BehaviourEvent, Proto, Quiet};
use crate::emit;
use crate::transport::{self, endpoint_key, without_p2p, Mux, Negotiated, Sec};

pub const AGENT: &str = concat!("lp2p-rust-peer/", env!("CARGO_PKG_VERSION"), " (rust-libp2p 0.57)");

#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub id: ConnectionId,
    pub peer: PeerId,
    pub remote_addr: Multiaddr,
    pub outbound: bool,
    pub sec: Option<Sec>,
    pub mux: Option<Mux>,
}

impl ConnInfo {
    pub fn json(&self, event: &str) -> serde_json::Value {
        json!({
            "event": event,
            "peerId": self.peer.to_string(),
            "remoteAddr": self.remote_addr.to_string(),
            "direction": if self.outbound { "outbound" } else { "inbound" },
            "encryption": self.sec.map(Sec::id),
            "multiplexer": self.mux.map(Mux::id),
        })
    }
}

#[derive(Clone, Debug)]
pub enum Event {
    Identified(ConnectionId, Arc<identify::Info>),
    Ping(ConnectionId, Result<Duration, String>),
}

enum Cmd {
    Dial(Multiaddr, oneshot::Sender<Result<ConnInfo, String>>),
    Open(PeerId, ConnectionId, StreamProtocol, oneshot::Sender<Result<Stream, String>>),
    HangUp(PeerId, oneshot::Sender<()>),
    AddProtocol(StreamProtocol),
}

pub struct Options {
    pub secs: Vec<Sec>,
    pub muxes: Vec<Mux>,
    /// a private network's key (PSK v1), or the public network
    pub psk: Option<PreSharedKey>,
    pub identify_push: bool,
    pub report_identify: bool,
    /// send rust's own (legacy-form) signed peer record
    pub signed_peer_record: bool,
    pub report_connections: bool,
    /// let rust-libp2p's ping ping (the ping scenario)
    pub pinging: bool,
}

/// The client's (and the server's) way to the swarm task.
#[derive(Clone)]
pub struct Handle {
    cmds: mpsc::UnboundedSender<Cmd>,
    pub events: broadcast::Sender<Event>,
    pub local: PeerId,
    pub open_conns: Arc<std::sync::Mutex<HashMap<ConnectionId, ConnInfo>>>,
}

impl Handle {
    pub async fn dial(&self, addr: Multiaddr) -> Result<ConnInfo, String> {
        let (tx, rx) = oneshot::channel();
        let _ = self.cmds.send(Cmd::Dial(addr, tx));
        rx.await.map_err(|_| "swarm gone".to_string())?
    }

    pub async fn open(&self, conn: &ConnInfo, protocol: StreamProtocol) -> Result<Stream, String> {
        let (tx, rx) = oneshot::channel();
        let _ = self.cmds.send(Cmd::Open(conn.peer, conn.id, protocol, tx));
        rx.await.map_err(|_| "connection closed".to_string())?
    }

    pub async fn hang_up(&self, peer: PeerId) {
        let (tx, rx) = oneshot::channel();
        let _ = self.cmds.send(Cmd::HangUp(peer, tx));
        let _ = rx.await;
    }

    pub fn add_protocol(&self, p: StreamProtocol) {
        let _ = self.cmds.send(Cmd::AddProtocol(p));
    }

    pub fn is_open(&self, id: ConnectionId) -> bool {
        self.open_conns.lock().unwrap().contains_key(&id)
    }
}

pub fn build(key: &Keypair, opts: &Options) -> std::io::Result<(Swarm<Behaviour>, Negotiated)> {
    let negotiated = Negotiated::default();
    let transport = transport::build(key, opts.secs.clone(), opts.muxes.clone(), opts.psk.clone(), negotiated.clone())?;
    // No signed peer record unless asked: rust-libp2p 0.57's identify signs
    // and reads records only in its legacy form (domain
    // "libp2p-routing-state", payload type "/libp2p/routing-state-record"),
    // which js-libp2p refuses with the whole identify answer, and lp2p and
    // go cannot verify (they keep the listen addresses).
    let config = if opts.signed_peer_record {
        identify::Config::new_with_signed_peer_record("ipfs/0.1.0".into(), key)
    } else {
        identify::Config::new("ipfs/0.1.0".into(), key.public())
    };
    let identify = identify::Behaviour::new(
        config
            .with_agent_version(AGENT.into())
            // no periodic identify: only the exchange on connect, and pushes
            .with_interval(Duration::from_secs(24 * 3600))
            .with_push_listen_addr_updates(opts.identify_push),
    );
    let ping = Quiet {
        inner: ping::Behaviour::new(
            ping::Config::new().with_interval(Duration::from_millis(1)).with_timeout(Duration::from_secs(20)),
        ),
        allow: Arc::new(AtomicBool::new(opts.pinging)),
    };
    ping.allow.store(opts.pinging, Ordering::Relaxed);
    let behaviour = Behaviour { identify, ping, proto: Proto::new(crate::server::protocols(), crate::server::serve) };
    let config = libp2p::swarm::Config::with_tokio_executor()
        .with_idle_connection_timeout(Duration::from_secs(3600))
        .with_max_negotiating_inbound_streams(8192);
    Ok((Swarm::new(transport, behaviour, key.public().to_peer_id(), config), negotiated))
}

/// Listens on every address and returns the addresses (with /p2p/) once
/// each listener has one.
pub async fn listen(swarm: &mut Swarm<Behaviour>, addrs: &[Multiaddr]) -> Result<Vec<Multiaddr>, String> {
    let mut waiting = std::collections::HashSet::new();
    for a in addrs {
        waiting.insert(swarm.listen_on(a.clone()).map_err(|e| format!("listen on {a}: {e}"))?);
    }
    let mut got = Vec::new();
    while !waiting.is_empty() {
        match swarm.select_next_some().await {
            SwarmEvent::NewListenAddr { listener_id, address } => {
                waiting.remove(&listener_id);
                got.push(address.with(Protocol::P2p(*swarm.local_peer_id())));
            }
            SwarmEvent::ListenerError { error, .. } => return Err(format!("listener: {error}")),
            SwarmEvent::ListenerClosed { reason: Err(e), .. } => return Err(format!("listener: {e}")),
            _ => {}
        }
    }
    Ok(got)
}

pub fn spawn(swarm: Swarm<Behaviour>, negotiated: Negotiated, opts: &Options) -> Handle {
    let (cmds, rx) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(1024);
    let handle = Handle {
        cmds,
        events: events.clone(),
        local: *swarm.local_peer_id(),
        open_conns: Default::default(),
    };
    let task = Task {
        swarm,
        negotiated,
        rx,
        events,
        conns: handle.open_conns.clone(),
        dials: HashMap::new(),
        hangups: HashMap::new(),
        report_identify: opts.report_identify,
        report_connections: opts.report_connections,
    };
    tokio::spawn(task.run());
    handle
}

struct Task {
    swarm: Swarm<Behaviour>,
    negotiated: Negotiated,
    rx: mpsc::UnboundedReceiver<Cmd>,
    events: broadcast::Sender<Event>,
    conns: Arc<std::sync::Mutex<HashMap<ConnectionId, ConnInfo>>>,
    dials: HashMap<ConnectionId, oneshot::Sender<Result<ConnInfo, String>>>,
    hangups: HashMap<PeerId, Vec<oneshot::Sender<()>>>,
    report_identify: bool,
    report_connections: bool,
}

impl Task {
    async fn run(mut self) {
        loop {
            tokio::select! {
                cmd = self.rx.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => return,
                },
                ev = self.swarm.select_next_some() => self.event(ev),
            }
        }
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Dial(addr, reply) => {
                let opts = match addr.iter().last() {
                    Some(Protocol::P2p(peer)) => DialOpts::peer_id(peer)
                        .addresses(vec![without_p2p(&addr)])
                        .condition(PeerCondition::Always)
                        .build(),
                    _ => DialOpts::unknown_peer_id().address(addr).build(),
                };
                let id = opts.connection_id();
                match self.swarm.dial(opts) {
                    Ok(()) => {
                        self.dials.insert(id, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e.to_string()));
                    }
                }
            }
            Cmd::Open(peer, id, protocol, reply) => {
                self.swarm.behaviour_mut().proto.open(peer, id, protocol, reply)
            }
            Cmd::HangUp(peer, reply) => {
                if self.swarm.disconnect_peer_id(peer).is_ok() {
                    self.hangups.entry(peer).or_default().push(reply);
                } else {
                    let _ = reply.send(());
                }
            }
            Cmd::AddProtocol(p) => {
                self.swarm.behaviour_mut().proto.add_protocol(p.clone());
                emit(json!({"event": "protocol-added", "protocol": p.to_string()}));
            }
        }
    }

    fn event(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::ConnectionEstablished { peer_id, connection_id, endpoint, .. } => {
                let labels = self.negotiated.lock().unwrap().remove(&endpoint_key(&endpoint));
                let info = ConnInfo {
                    id: connection_id,
                    peer: peer_id,
                    remote_addr: without_p2p(endpoint.get_remote_address()).with(Protocol::P2p(peer_id)),
                    outbound: endpoint.is_dialer(),
                    sec: labels.map(|l| l.0),
                    mux: labels.map(|l| l.1),
                };
                self.conns.lock().unwrap().insert(connection_id, info.clone());
                if self.report_connections {
                    emit(info.json("connection:open"));
                }
                if let Some(reply) = self.dials.remove(&connection_id) {
                    let _ = reply.send(Ok(info));
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, connection_id, num_established, .. } => {
                let info = self.conns.lock().unwrap().remove(&connection_id);
                if let (true, Some(info)) = (self.report_connections, info) {
                    emit(info.json("connection:close"));
                }
                if num_established == 0 {
                    for reply in self.hangups.remove(&peer_id).unwrap_or_default() {
                        let _ = reply.send(());
                    }
                }
            }
            SwarmEvent::OutgoingConnectionError { connection_id, error, .. } => {
                if let Some(reply) = self.dials.remove(&connection_id) {
                    let _ = reply.send(Err(error.to_string()));
                }
            }
            SwarmEvent::IncomingConnectionError { send_back_addr, error, .. } => {
                self.negotiated.lock().unwrap().remove(&without_p2p(&send_back_addr).to_string());
                eprintln!("lp2p-rust-peer: inbound connection from {send_back_addr} failed: {error}");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                connection_id,
                peer_id,
                info,
            })) => {
                if self.report_identify {
                    emit(json!({
                        "event": "peer:identify",
                        "peerId": peer_id.to_string(),
                        "agentVersion": info.agent_version,
                        "protocols": info.protocols.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                        "listenAddrs": info.listen_addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                        "signedPeerRecord": info.signed_peer_record.is_some(),
                    }));
                }
                let _ = self.events.send(Event::Identified(connection_id, Arc::new(info)));
            }
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event { connection, result, .. })) => {
                let _ = self.events.send(Event::Ping(connection, result.map_err(|e| e.to_string())));
            }
            _ => {}
        }
    }
}
