//! `GET /graphql` with a WebSocket upgrade: subscriptions over graphql-transport-ws, within the
//! process's connection limit; without an upgrade, a GET query.

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{Extensions, HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

use futures::{SinkExt, StreamExt};
use sea_orm::DatabaseConnection;

use crate::feed::ChangeHub;
use crate::graphql::{AdminAccess, AppSchema, Loaders, SubscriptionCount, code};

use super::clients;
use super::graphql_http::{JSON, error_response, graphql_handler};
use super::{
    AppState, CONNECTION_INIT_TIMEOUT, KEEPALIVE_TIMEOUT, MAX_WEBSOCKETS, MAX_WEBSOCKETS_PER_CLIENT,
};

/// GET `/graphql`: a WebSocket upgrade for subscriptions (graphql-transport-ws), else a query.
pub(super) async fn graphql_get(
    State(state): State<AppState>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    protocol: Result<GraphQLProtocol, StatusCode>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    extensions: Extensions,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return graphql_handler(State(state), method, headers, uri, Ok(Bytes::new())).await;
    };
    let Ok(protocol) = protocol else {
        return error_response(
            StatusCode::BAD_REQUEST,
            JSON,
            "a WebSocket at /graphql speaks graphql-transport-ws: ask for it in Sec-WebSocket-Protocol",
            code::BAD_REQUEST,
        );
    };
    let Some(client) = clients::take_for(&state.socket_clients, &extensions) else {
        let message = format!(
            "{MAX_WEBSOCKETS_PER_CLIENT} WebSocket connections from this address are open; \
             close one, or subscribe to more on one connection"
        );
        return error_response(
            StatusCode::TOO_MANY_REQUESTS,
            JSON,
            &message,
            code::VALIDATION_FAILED,
        );
    };
    let Ok(permit) = state.sockets.clone().try_acquire_owned() else {
        let message = format!("{MAX_WEBSOCKETS} WebSocket connections are open; retry shortly");
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            JSON,
            &message,
            code::VALIDATION_FAILED,
        );
    };
    let schema = state.schemas.hooked.clone();
    let db = state.db.clone();
    let hub = state.hub.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _held = (permit, client);
            serve_socket(socket, schema, protocol, db, hub).await;
        })
}

/// Runs one connection until the client leaves or, once the server shuts down, until its last
/// subscription has completed; then says goodbye with a close frame (1001, going away).
async fn serve_socket(
    socket: WebSocket,
    schema: AppSchema,
    protocol: GraphQLProtocol,
    db: DatabaseConnection,
    hub: ChangeHub,
) {
    let (mut sink, mut input) = socket.split();
    let held = SubscriptionCount::default();
    let draining = {
        let (hub, held) = (hub.clone(), held.clone());
        async move {
            hub.closed().await;
            held.none_held().await;
        }
    };
    let mut data = async_graphql::Data::default();
    data.insert(Loaders::new(&db, AdminAccess::Denied.audience()));
    data.insert(AdminAccess::Denied);
    let (initialised, init_seen) = tokio::sync::oneshot::channel::<()>();
    // Ending the input ends the connection: once draining, after the last `complete` is sent.
    let served = GraphQLWebSocket::new_with_pair(
        &mut sink,
        (&mut input).take_until(draining),
        schema,
        protocol,
    )
    .with_data(data)
    .on_connection_init(move |_| async move {
        // The receiver is gone only once the deadline has passed: nothing to tell.
        let _ = initialised.send(());
        let mut data = async_graphql::Data::default();
        data.insert(held);
        Ok(data)
    })
    .keepalive_timeout(KEEPALIVE_TIMEOUT)
    .serve();
    // A client that never says `connection_init` holds a connection for nothing.
    let init_deadline = async move {
        if tokio::time::timeout(CONNECTION_INIT_TIMEOUT, init_seen)
            .await
            .is_ok()
        {
            std::future::pending::<()>().await;
        }
    };
    let timed_out = tokio::select! {
        () = served => false,
        () = init_deadline => true,
    };
    if timed_out {
        let late = CloseFrame {
            code: 4408,
            reason: "Connection initialisation timeout".into(),
        };
        let _ = sink.send(Message::Close(Some(late))).await;
        return;
    }
    if hub.is_closed() {
        let goodbye = CloseFrame {
            code: close_code::AWAY,
            reason: "the server is shutting down".into(),
        };
        // The client may have gone already: nothing is left to tell it.
        let _ = sink.send(Message::Close(Some(goodbye))).await;
    }
}
