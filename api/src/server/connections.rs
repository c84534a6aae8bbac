//! Connections: accepted within limits (in all, and per client address), each with a deadline
//! for a request's headers — which is also how long a connection may sit idle — and for a
//! write the client stopped reading, served by hyper with WebSocket upgrades, and drained on
//! shutdown. (`axum::serve` gives hyper no timer, so it has no such deadlines.)

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;

use super::clients::PerClient;

/// How connections are bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest a client may take to send a request's headers, counted from when the connection
    /// opened or the last response ended: slow and idle connections are closed.
    pub header_timeout: Duration,
    /// Longest a write to a client may stall: a client that stops reading is cut off.
    pub write_timeout: Duration,
    /// Most connections open at once; more wait to be accepted.
    pub max: usize,
    /// Most connections one client address holds at once; more are closed when accepted.
    pub per_client: usize,
}

impl Default for ConnectionLimits {
    /// 20 s for headers and idle time, 30 s for a stalled write, 1,024 connections, 256 per
    /// client address.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(20),
            write_timeout: Duration::from_secs(30),
            max: 1024,
            per_client: 256,
        }
    }
}

/// Accepts and serves connections until `shutdown` resolves; then stops accepting, closes idle
/// connections and returns once every request in flight has been answered.
pub(super) async fn accept(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.max));
    let per_client = PerClient::new(limits.per_client);
    let (stopping, stop) = tokio::sync::watch::channel(false);
    // HTTP/1.1 only: hyper's automatic HTTP/2 detection reads the first bytes with no deadline.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        // Past the limit, connections wait in the listen queue rather than being accepted.
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                refused(&err).await;
                continue;
            }
        };
        let Some(slot) = per_client.try_take(remote.ip()) else {
            tracing::debug!(client = %remote.ip(), "connection refused: the client holds its limit");
            continue;
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_timeout));
        let service =
            router
                .clone()
                .map_request(move |mut request: axum::http::Request<Incoming>| {
                    request
                        .extensions_mut()
                        .insert(ConnectInfo::<SocketAddr>(remote));
                    request
                });
        let connection = builder
            .serve_connection(
                TokioIo::new(Box::pin(stream)),
                TowerToHyperService::new(service),
            )
            .with_upgrades();
        let mut stop = stop.clone();
        let stopped = async move {
            // An error means the server is gone: stop all the same.
            let _ = stop.wait_for(|stopping| *stopping).await;
        };
        tokio::spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = stopped => {
                    // Finishes the request in flight, if any, then closes.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = ended {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            drop((permit, slot));
        });
    }
    let _ = stopping.send(true);
    // Every connection holds a permit until it has ended.
    let all = u32::try_from(limits.max).unwrap_or(u32::MAX);
    let _ = open.acquire_many(all).await;
}

/// After a failed accept: a connection that went away before it was accepted is nothing; out
/// of file descriptors, say, waits a moment rather than spinning.
async fn refused(err: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "cannot accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
