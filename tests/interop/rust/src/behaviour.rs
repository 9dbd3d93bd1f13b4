//! The swarm's behaviour: rust-libp2p's identify and ping, and `Proto`,
//! which serves the test protocols (server.rs) and opens streams for the
//! client scenarios.  libp2p-stream is not used: it hands inbound streams
//! over a channel of one slot and drops those that find it full, so 500
//! streams opened at once would lose most of theirs.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{ready, Ready};
use libp2p::core::transport::PortUse;
use libp2p::core::upgrade::{InboundUpgrade, OutboundUpgrade, UpgradeInfo};
use libp2p::core::Endpoint;
use libp2p::swarm::handler::{
    ConnectionEvent, DialUpgradeError, FullyNegotiatedInbound, FullyNegotiatedOutbound,
};
use libp2p::swarm::{
    ConnectionDenied, ConnectionHandler, ConnectionHandlerEvent, ConnectionId, FromSwarm,
    NetworkBehaviour, NotifyHandler, Stream, StreamUpgradeError, SubstreamProtocol, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm,
};
use libp2p::{identify, ping, Multiaddr, PeerId, StreamProtocol};

#[derive(NetworkBehaviour)]
pub struct Behaviour {
    pub identify: identify::Behaviour,
    pub ping: Quiet<ping::Behaviour>,
    pub proto: Proto,
}

// ---- Quiet: a behaviour whose handlers never open streams ----

/// rust-libp2p's ping pings every new connection at once and then every
/// interval, and cannot be told not to.  A test must only see the traffic
/// it asks for (peer.mjs turns js-libp2p's connection monitor off), so
/// this wrapper drops the handler's requests for outbound streams unless
/// `allow` is set: it then only answers pings.
pub struct Quiet<B> {
    pub inner: B,
    pub allow: Arc<AtomicBool>,
}

pub struct QuietHandler<H> {
    inner: H,
    allow: bool,
}

impl<B: NetworkBehaviour> NetworkBehaviour for Quiet<B> {
    type ConnectionHandler = QuietHandler<B::ConnectionHandler>;
    type ToSwarm = B::ToSwarm;

    fn handle_pending_inbound_connection(
        &mut self,
        id: ConnectionId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.inner.handle_pending_inbound_connection(id, local, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        let inner = self.inner.handle_established_inbound_connection(id, peer, local, remote)?;
        Ok(QuietHandler { inner, allow: self.allow.load(Ordering::Relaxed) })
    }

    fn handle_pending_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: Option<PeerId>,
        addrs: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        self.inner.handle_pending_outbound_connection(id, peer, addrs, role)
    }

    fn handle_established_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        role: Endpoint,
        port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        let inner =
            self.inner.handle_established_outbound_connection(id, peer, addr, role, port_use)?;
        Ok(QuietHandler { inner, allow: self.allow.load(Ordering::Relaxed) })
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        self.inner.on_swarm_event(event)
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        self.inner.on_connection_handler_event(peer, id, event)
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        self.inner.poll(cx)
    }
}

impl<H: ConnectionHandler> ConnectionHandler for QuietHandler<H> {
    type FromBehaviour = H::FromBehaviour;
    type ToBehaviour = H::ToBehaviour;
    type InboundProtocol = H::InboundProtocol;
    type OutboundProtocol = H::OutboundProtocol;
    type InboundOpenInfo = H::InboundOpenInfo;
    type OutboundOpenInfo = H::OutboundOpenInfo;

    fn listen_protocol(&self) -> SubstreamProtocol<Self::InboundProtocol, Self::InboundOpenInfo> {
        self.inner.listen_protocol()
    }

    fn connection_keep_alive(&self) -> bool {
        self.inner.connection_keep_alive()
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ConnectionHandlerEvent<Self::OutboundProtocol, Self::OutboundOpenInfo, Self::ToBehaviour>>
    {
        loop {
            match self.inner.poll(cx) {
                Poll::Ready(ConnectionHandlerEvent::OutboundSubstreamRequest { .. }) if !self.allow => {}
                other => return other,
            }
        }
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Option<Self::ToBehaviour>> {
        self.inner.poll_close(cx)
    }

    fn on_behaviour_event(&mut self, event: Self::FromBehaviour) {
        self.inner.on_behaviour_event(event)
    }

    fn on_connection_event(
        &mut self,
        event: ConnectionEvent<
            Self::InboundProtocol,
            Self::OutboundProtocol,
            Self::InboundOpenInfo,
            Self::OutboundOpenInfo,
        >,
    ) {
        self.inner.on_connection_event(event)
    }
}

// ---- Proto: the test protocols ----

pub type OpenReply = oneshot::Sender<Result<Stream, String>>;

/// Serves an inbound stream of one of the registered protocols.
pub type Serve = fn(StreamProtocol, Stream);

pub enum ToHandler {
    Open(StreamProtocol, OpenReply),
    /// Wakes the connection, so that it sees the new protocol list.
    Refresh,
}

impl fmt::Debug for ToHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToHandler::Open(p, _) => write!(f, "Open({p})"),
            ToHandler::Refresh => write!(f, "Refresh"),
        }
    }
}

pub struct Proto {
    protocols: Arc<Mutex<Vec<StreamProtocol>>>,
    serve: Serve,
    connections: HashMap<ConnectionId, PeerId>,
    events: VecDeque<ToSwarm<Infallible, ToHandler>>,
    waker: Option<Waker>,
}

impl Proto {
    pub fn new(protocols: Vec<StreamProtocol>, serve: Serve) -> Proto {
        Proto {
            protocols: Arc::new(Mutex::new(protocols)),
            serve,
            connections: HashMap::new(),
            events: VecDeque::new(),
            waker: None,
        }
    }

    fn push(&mut self, event: ToSwarm<Infallible, ToHandler>) {
        self.events.push_back(event);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    /// Opens a stream of `protocol` on the connection `id` to `peer`.
    pub fn open(&mut self, peer: PeerId, id: ConnectionId, protocol: StreamProtocol, reply: OpenReply) {
        self.push(ToSwarm::NotifyHandler {
            peer_id: peer,
            handler: NotifyHandler::One(id),
            event: ToHandler::Open(protocol, reply),
        });
    }

    /// Serves one more protocol from now on, on every connection.
    pub fn add_protocol(&mut self, protocol: StreamProtocol) {
        self.protocols.lock().unwrap().push(protocol);
        let conns: Vec<_> = self.connections.iter().map(|(c, p)| (*c, *p)).collect();
        for (id, peer) in conns {
            self.push(ToSwarm::NotifyHandler {
                peer_id: peer,
                handler: NotifyHandler::One(id),
                event: ToHandler::Refresh,
            });
        }
    }

    fn handler(&self) -> ProtoHandler {
        ProtoHandler {
            protocols: self.protocols.clone(),
            serve: self.serve,
            opens: VecDeque::new(),
            waker: None,
        }
    }
}

impl NetworkBehaviour for Proto {
    type ConnectionHandler = ProtoHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(self.handler())
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(self.handler())
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(e) => {
                self.connections.insert(e.connection_id, e.peer_id);
            }
            FromSwarm::ConnectionClosed(e) => {
                self.connections.remove(&e.connection_id);
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(&mut self, _: PeerId, _: ConnectionId, event: Infallible) {
        match event {}
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ToSwarm<Infallible, ToHandler>> {
        match self.events.pop_front() {
            Some(e) => Poll::Ready(e),
            None => {
                self.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

pub struct ProtoHandler {
    protocols: Arc<Mutex<Vec<StreamProtocol>>>,
    serve: Serve,
    opens: VecDeque<(StreamProtocol, OpenReply)>,
    waker: Option<Waker>,
}

/// The upgrade: multistream-select picks one of the protocols; the stream
/// is handed over as it is.
#[derive(Clone)]
pub struct Protocols(Vec<StreamProtocol>);

impl UpgradeInfo for Protocols {
    type Info = StreamProtocol;
    type InfoIter = Vec<StreamProtocol>;

    fn protocol_info(&self) -> Self::InfoIter {
        self.0.clone()
    }
}

impl InboundUpgrade<Stream> for Protocols {
    type Output = (Stream, StreamProtocol);
    type Error = Infallible;
    type Future = Ready<Result<Self::Output, Infallible>>;

    fn upgrade_inbound(self, stream: Stream, info: StreamProtocol) -> Self::Future {
        ready(Ok((stream, info)))
    }
}

impl OutboundUpgrade<Stream> for Protocols {
    type Output = (Stream, StreamProtocol);
    type Error = Infallible;
    type Future = Ready<Result<Self::Output, Infallible>>;

    fn upgrade_outbound(self, stream: Stream, info: StreamProtocol) -> Self::Future {
        ready(Ok((stream, info)))
    }
}

impl ConnectionHandler for ProtoHandler {
    type FromBehaviour = ToHandler;
    type ToBehaviour = Infallible;
    type InboundProtocol = Protocols;
    type OutboundProtocol = Protocols;
    type InboundOpenInfo = ();
    type OutboundOpenInfo = OpenReply;

    fn listen_protocol(&self) -> SubstreamProtocol<Protocols, ()> {
        // negotiating a stream may take long on a busy machine
        SubstreamProtocol::new(Protocols(self.protocols.lock().unwrap().clone()), ())
            .with_timeout(Duration::from_secs(120))
    }

    /// Connections stay open until a side closes them, as js-libp2p's do.
    fn connection_keep_alive(&self) -> bool {
        true
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ConnectionHandlerEvent<Protocols, OpenReply, Infallible>> {
        match self.opens.pop_front() {
            Some((protocol, reply)) => Poll::Ready(ConnectionHandlerEvent::OutboundSubstreamRequest {
                protocol: SubstreamProtocol::new(Protocols(vec![protocol]), reply)
                    .with_timeout(Duration::from_secs(120)),
            }),
            None => {
                self.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    fn on_behaviour_event(&mut self, event: ToHandler) {
        if let ToHandler::Open(protocol, reply) = event {
            self.opens.push_back((protocol, reply));
        }
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    fn on_connection_event(
        &mut self,
        event: ConnectionEvent<Protocols, Protocols, (), OpenReply>,
    ) {
        match event {
            ConnectionEvent::FullyNegotiatedInbound(FullyNegotiatedInbound {
                protocol: (stream, protocol),
                ..
            }) => (self.serve)(protocol, stream),
            ConnectionEvent::FullyNegotiatedOutbound(FullyNegotiatedOutbound {
                protocol: (stream, _),
                info,
            }) => {
                let _ = info.send(Ok(stream));
            }
            ConnectionEvent::DialUpgradeError(DialUpgradeError { info, error }) => {
                let e = match error {
                    StreamUpgradeError::NegotiationFailed => format!("UnsupportedProtocolError: {error}"),
                    _ => error.to_string(),
                };
                let _ = info.send(Err(e));
            }
            _ => {}
        }
    }
}
