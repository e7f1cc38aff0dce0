//! Accepting connections, with the limits that hold before any route sees a request: how many
//! connections one client address may hold, how many in all, and how long a client may take to
//! send its request's headers (hyper's own HTTP/1 timer).
//!
//! Not for what a request may do once read (body rate, size, work at once, time): those are
//! tower layers in `http.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections one client address may hold at once (0: no limit, behind a reverse proxy
    /// every client is the proxy's address: limit there).
    pub per_address: usize,
    /// Connections held at once in all; more are closed as they come.
    pub connections: usize,
    /// The time a client has to send a request's headers, from the connection or the end of
    /// the previous request.
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_address: 64,
            connections: 4_096,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// Connections held, per client address.
#[derive(Default)]
struct Held(Mutex<HashMap<IpAddr, usize>>);

impl Held {
    fn take(self: &Arc<Held>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = held.entry(ip).or_insert(0);
        if max > 0 && *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            held: self.clone(),
            ip,
        })
    }
}

/// One connection counted against its address until it closes.
struct Slot {
    held: Arc<Held>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self
            .held
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = held.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let held = Arc::new(Held::default());
    let all = Arc::new(Semaphore::new(limits.connections));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors, or a connection reset before it was taken: the
                // listener itself is fine, wait a moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        // Over a limit, the connection is closed at once: the client sees it and may retry.
        let Ok(permit) = all.clone().try_acquire_owned() else {
            continue;
        };
        let Some(slot) = held.take(peer.ip(), limits.per_address) else {
            continue;
        };
        // A sync is one request and its answer: do not wait to fill a packet.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(
            router
                .clone()
                .map_request(|r: axum::http::Request<Incoming>| r.map(axum::body::Body::new)),
        );
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            // A connection's end (closed by the client, timed out) is no event for the server.
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
            drop(slot);
            drop(permit);
        });
    }
}
