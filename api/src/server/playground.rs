//! The GraphiQL Playground at `/`, served entirely from the binary: its bundle is built from the
//! pinned packages in `api/playground/` (`npm ci && npm run build`, deterministic) and committed,
//! so it works with no internet access and no CDN.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lmsdr Playground</title>
<link rel="stylesheet" href="/playground/playground.css">
<style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">Loading the GraphiQL Playground…</div>
<script type="module" src="/playground/playground.js"></script>
</body>
</html>
"#;

/// The Playground's assets: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "playground.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/dist/playground.js"),
    ),
    (
        "playground.css",
        "text/css; charset=utf-8",
        include_bytes!("../../playground/dist/playground.css"),
    ),
    (
        "editor.worker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/dist/editor.worker.js"),
    ),
    (
        "json.worker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/dist/json.worker.js"),
    ),
    (
        "graphql.worker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/dist/graphql.worker.js"),
    ),
];

/// What the Playground's page may load: its own scripts, workers, styles and fonts, and the API
/// at its own origin (HTTP and WebSocket); nothing else, and no page may frame it.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET /`: the Playground's page.
pub async fn page() -> Response {
    ([(header::CONTENT_SECURITY_POLICY, CSP)], Html(PAGE)).into_response()
}

/// `GET /playground/{name}`: one of its assets.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(asset, _, _)| *asset == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such Playground asset").into_response(),
    }
}
