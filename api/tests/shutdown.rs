//! Shutdown with live subscriptions: the server runs on a runtime of its own, as `lmsdr serve`
//! does, and that runtime ends when `server::serve` returns. By then every subscriber must have
//! received `complete` and a close frame (1001, going away): a process that exits first cuts
//! them off, and a graphql-ws client reports an error instead of a completed subscription.

use std::sync::mpsc;

use futures::{SinkExt, StreamExt};
use lmsdr_api::server::{self, AppState};
use lmsdr_ingest::testing::TestDb;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

mod common;

/// Connections that each hold one subscription when the server is told to stop.
const SUBSCRIBERS: usize = 8;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The next text frame as JSON; panics on anything else.
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text).expect("the server sends JSON");
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// A graphql-transport-ws connection, acknowledged.
async fn connect(base: &str) -> Socket {
    let mut request = format!("{}/graphql", base.replacen("http", "ws", 1))
        .into_client_request()
        .expect("a WebSocket request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the server upgrades");
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("the frame is sent");
}

/// Reads until the close frame; returns its code, or `None` if the connection ended without one.
async fn close_code(socket: &mut Socket) -> Option<CloseCode> {
    while let Some(frame) = socket.next().await {
        match frame {
            Ok(Message::Close(frame)) => return frame.map(|f| f.code),
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Ok(other) => panic!("expected the close frame, got {other:?}"),
            Err(_) => return None,
        }
    }
    None
}

#[tokio::test]
async fn every_subscriber_hears_complete_and_a_close_before_the_server_returns() {
    let (started, address) = mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // The server's own runtime, on one thread, dropped when `serve` returns: as in `main`.
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let db = TestDb::sqlite().await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            let base = format!("http://{}", listener.local_addr().expect("an address"));
            started.send(base).expect("the test waits");
            let state = AppState::new(db.conn.clone(), common::admin());
            server::serve(listener, state, async {
                let _ = stopped.await;
            })
            .await
            .expect("the server runs");
        });
    });
    let base = tokio::task::spawn_blocking(move || address.recv().expect("the server starts"))
        .await
        .expect("joins");

    let mut idle = connect(&base).await;
    let mut sockets = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let mut socket = connect(&base).await;
        send(
            &mut socket,
            json!({ "id": "1", "type": "subscribe",
                    "payload": { "query": "subscription { contentChanged { pages { kind page { url } } } }" } }),
        )
        .await;
        sockets.push(socket);
    }
    // A change proves every subscription live before the server is told to stop.
    let imported: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(common::ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(json!({
            "query": "mutation($url: String!, $html: String!) { importPage(url: $url, html: $html) { change } }",
            "variables": { "url": "http://www.lmsdr.org/faq.php",
                           "html": "<html><head><title>FAQ</title></head><body><h1>FAQ</h1><p>What is LMS? A rare sarcoma of smooth muscle.</p></body></html>" }
        }).to_string())
        .send()
        .await
        .expect("the import is answered")
        .bytes()
        .await
        .map(|body| serde_json::from_slice(&body).expect("JSON"))
        .expect("a body");
    assert_eq!(
        imported["data"]["importPage"]["change"], "NEW",
        "{imported}"
    );
    for socket in &mut sockets {
        let heard = next_json(socket).await;
        assert_eq!(heard["type"], "next", "{heard}");
        assert_eq!(
            heard["payload"]["data"]["contentChanged"]["pages"][0]["page"]["url"],
            "http://www.lmsdr.org/faq.php"
        );
    }

    stop.send(()).expect("the server listens");
    tokio::task::spawn_blocking(move || server.join().expect("the server thread ends"))
        .await
        .expect("joins");

    // The server's runtime is gone: what the subscribers read now was written before it returned.
    for socket in &mut sockets {
        assert_eq!(
            next_json(socket).await,
            json!({ "id": "1", "type": "complete" })
        );
    }
    for socket in &mut sockets {
        assert_eq!(close_code(socket).await, Some(CloseCode::Away));
    }
    assert_eq!(close_code(&mut idle).await, Some(CloseCode::Away));
}
