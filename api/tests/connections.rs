//! What one client can hold of a running server, over real TCP connections: a connection that
//! sends its headers slowly, or nothing, or sits idle, is closed; one address cannot take every
//! connection, WebSocket or export slot; a WebSocket that never says `connection_init` is
//! closed; and an export whose client stops reading gives its slot back.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use lmsdr_api::server::{self, AppState, ConnectionLimits, ServerConfig};
use lmsdr_ingest::testing::TestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Longest a test waits for what must happen; only a hang reaches it.
const PATIENCE: Duration = Duration::from_secs(120);

/// A server on a loopback port for the length of a test.
struct Running {
    addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
    _db: TestDb,
}

impl Running {
    async fn start(db: TestDb, connections: ConnectionLimits) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("an address");
        let config = ServerConfig {
            connections,
            ..ServerConfig::default()
        };
        let state = AppState::new(db.conn.clone(), config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Running {
            addr,
            _stop: stop,
            _db: db,
        }
    }

    /// A connection from a loopback address of the client's choosing (127.0.0.x), with a
    /// receive buffer of `receive_buffer` bytes when given.
    async fn connect_from(&self, client: [u8; 4], receive_buffer: Option<u32>) -> TcpStream {
        let socket = TcpSocket::new_v4().expect("a socket");
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size).expect("a small buffer");
        }
        socket
            .bind(SocketAddr::from((client, 0)))
            .expect("a client address");
        socket.connect(self.addr).await.expect("connects")
    }

    /// `GET path` from a client address; the status, once the headers are in.
    async fn status_from(&self, client: [u8; 4], path: &str) -> Option<u16> {
        let mut stream = self.connect_from(client, None).await;
        request(&mut stream, path).await;
        status(&mut stream).await
    }
}

/// Sends `GET path`, keeping the connection open.
async fn request(stream: &mut TcpStream, path: &str) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: lmsdr.test\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
}

/// Reads a response's head; its status, or `None` when the server closed the connection.
async fn status(stream: &mut TcpStream) -> Option<u16> {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&head);
    head.split(' ').nth(1)?.parse().ok()
}

/// Whether the server closes the connection (reading whatever it sends before that).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buffer = [0; 4096];
    let reading = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(PATIENCE, reading).await.is_ok()
}

/// Quick deadlines, so that the test does not wait long for them.
fn quick() -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: Duration::from_secs(1),
        write_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    }
}

#[tokio::test]
async fn slow_silent_and_idle_connections_are_closed() {
    let server = Running::start(TestDb::sqlite().await, quick()).await;

    // Nothing at all.
    let mut silent = server.connect_from([127, 0, 0, 1], None).await;
    assert!(closed_by_server(&mut silent).await, "a silent connection");

    // One header line at a time, never the end of the headers.
    let mut slow = server.connect_from([127, 0, 0, 1], None).await;
    let trickle = async {
        let mut lines = 0;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.ok();
        loop {
            tick.tick().await;
            if slow.write_all(b"X-Slow: yes\r\n").await.is_err() {
                return lines;
            }
            let mut byte = [0; 1];
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(1), slow.read(&mut byte)).await
            {
                return lines;
            }
            lines += 1;
        }
    };
    let lines = tokio::time::timeout(PATIENCE, trickle).await;
    assert!(lines.is_ok(), "a connection sending headers slowly");

    // Idle after an answer.
    let mut idle = server.connect_from([127, 0, 0, 1], None).await;
    request(&mut idle, "/healthz").await;
    assert_eq!(status(&mut idle).await, Some(200));
    assert!(
        closed_by_server(&mut idle).await,
        "an idle keep-alive connection"
    );
}

#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    let limits = ConnectionLimits {
        per_client: 4,
        header_timeout: Duration::from_secs(600),
        ..ConnectionLimits::default()
    };
    let server = Running::start(TestDb::sqlite().await, limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = server.connect_from([127, 0, 0, 1], None).await;
        // An answer proves the connection accepted and counted.
        request(&mut stream, "/healthz").await;
        assert_eq!(status(&mut stream).await, Some(200));
        held.push(stream);
    }
    let mut fifth = server.connect_from([127, 0, 0, 1], None).await;
    request(&mut fifth, "/healthz").await;
    assert_eq!(
        status(&mut fifth).await,
        None,
        "closed: the address holds 4"
    );
    assert_eq!(
        server.status_from([127, 0, 0, 2], "/healthz").await,
        Some(200),
        "another address is served"
    );
}

/// A graphql-transport-ws connection from a client address, or the HTTP status refusing it.
async fn websocket_from(
    server: &Running,
    client: [u8; 4],
) -> Result<tokio_tungstenite::WebSocketStream<TcpStream>, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{}/graphql", server.addr)
        .into_client_request()
        .expect("a WebSocket request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let stream = server.connect_from(client, None).await;
    tokio_tungstenite::client_async(request, stream)
        .await
        .map(|(socket, _)| socket)
}

#[tokio::test]
async fn websockets_are_limited_per_address_and_must_say_connection_init() {
    let server = Running::start(TestDb::sqlite().await, ConnectionLimits::default()).await;
    let mut sockets = Vec::new();
    for _ in 0..server::MAX_WEBSOCKETS_PER_CLIENT {
        sockets.push(
            websocket_from(&server, [127, 0, 0, 1])
                .await
                .expect("upgraded"),
        );
    }
    match websocket_from(&server, [127, 0, 0, 1]).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
        }
        other => panic!("one more from the same address is refused: {other:?}"),
    }
    let mut other = websocket_from(&server, [127, 0, 0, 2])
        .await
        .expect("another address is upgraded");

    // None of them said `connection_init`: each is closed with 4408.
    let close = tokio::time::timeout(PATIENCE, async {
        while let Some(frame) = other.next().await {
            match frame {
                Ok(Message::Close(frame)) => return frame.map(|f| f.code),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("closed in time");
    assert_eq!(close, Some(CloseCode::Library(4408)));
}

#[tokio::test]
async fn an_export_whose_client_stops_reading_gives_its_slot_back() {
    for db in TestDb::all().await {
        let backend = db.backend();
        common::store_articles(&db.conn).await;
        let patient = ConnectionLimits {
            write_timeout: Duration::from_secs(600),
            ..ConnectionLimits::default()
        };
        let server = Running::start(db, patient).await;
        // A client that reads the head of an export, then nothing more.
        let stalled = |client: [u8; 4]| {
            let server = &server;
            async move {
                let mut stream = server.connect_from(client, Some(4096)).await;
                request(&mut stream, "/export/ndjson").await;
                assert_eq!(status(&mut stream).await, Some(200), "{backend}");
                stream
            }
        };
        let _first = stalled([127, 0, 0, 1]).await;
        assert_eq!(
            server.status_from([127, 0, 0, 1], "/export/ndjson").await,
            Some(429),
            "{backend}: one export at a time per address"
        );
        let _second = stalled([127, 0, 0, 3]).await;
        assert_eq!(
            server.status_from([127, 0, 0, 4], "/export/ndjson").await,
            Some(503),
            "{backend}: both slots are taken"
        );
    }

    // With the stall deadline, the slots come back while the stalled clients still hold their
    // connections open.
    let db = TestDb::sqlite().await;
    common::store_articles(&db.conn).await;
    let server = Running::start(db, quick()).await;
    let mut stalled = Vec::new();
    for client in [[127, 0, 0, 1], [127, 0, 0, 3]] {
        let mut stream = server.connect_from(client, Some(4096)).await;
        request(&mut stream, "/export/ndjson").await;
        assert_eq!(status(&mut stream).await, Some(200));
        stalled.push(stream);
    }
    let served = tokio::time::timeout(PATIENCE, async {
        let mut statuses = Vec::new();
        loop {
            let status = server.status_from([127, 0, 0, 4], "/export/json").await;
            statuses.push(status);
            if status == Some(200) {
                return statuses;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(served.is_ok(), "an export is served again");
}
