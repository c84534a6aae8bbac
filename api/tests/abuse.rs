//! Hostile requests, in-process: each is refused with a clear error, nothing is written, and
//! a frontend's ordinary query answered alongside it still gets its data.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{ADMIN_TOKEN, TestApp, TestResponse};
use lmsdr_api::server::ServerConfig;
use serde_json::json;

/// A frontend's ordinary query, sent alongside each hostile one.
const ORDINARY: &str = "{ regimens { slug } pages(first: 5) { edges { node { url } } } }";

/// Sends `hostile` and the ordinary query at once; the ordinary one must get its data.
async fn alongside(app: &TestApp, hostile: Request<Body>) -> TestResponse {
    let (hostile, ordinary) = tokio::join!(app.request(hostile), app.graphql(ORDINARY, json!({})));
    assert_eq!(ordinary.data()["regimens"][0]["slug"], "gem-tax");
    hostile
}

/// A POST of raw bytes to `/graphql`.
fn post(body: impl Into<Vec<u8>>) -> Request<Body> {
    let body = body.into();
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .expect("request")
}

/// A POST of one query.
fn query(query: &str) -> Request<Body> {
    post(json!({ "query": query }).to_string())
}

/// A POST of one query with variables.
fn query_with(query: &str, variables: serde_json::Value) -> Request<Body> {
    post(json!({ "query": query, "variables": variables }).to_string())
}

/// The first error's message.
fn message(response: &TestResponse) -> String {
    response.json()["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {}", response.text()))
        .to_owned()
}

/// Asserts that the first error's message says `needle`.
fn assert_message(response: &TestResponse, needle: &str) {
    assert!(message(response).contains(needle), "{}", response.text());
}

#[tokio::test]
async fn deep_queries_are_refused_without_exhausting_the_stack() {
    for app in TestApp::all().await {
        // 100 levels of real fields: over the depth limit.
        let deep = format!(
            "{{ treatmentCategories {{ {} name {} }} }}",
            "treatments { category { ".repeat(50),
            "} } ".repeat(50)
        );
        let response = alongside(&app, query(&deep)).await;
        assert!(
            response.error_code().starts_with("GRAPHQL_"),
            "{}",
            response.text()
        );
        // 300,000 levels of braces, as much as the body limit lets through: the parser gives
        // up without recursing that deep.
        let levels = 300_000;
        let braces = format!("{}a{}", "{a".repeat(levels), "}".repeat(levels));
        assert!(braces.len() < lmsdr_api::server::MAX_BODY_BYTES);
        let response = alongside(&app, query(&braces)).await;
        assert_eq!(
            response.error_code(),
            "GRAPHQL_PARSE_FAILED",
            "{}",
            app.db.backend()
        );
        // Deeply nested list values in an argument.
        let values = format!(
            "{{ search(query: \"x\", after: {}\"c\"{}) {{ totalCount }} }}",
            "[".repeat(levels),
            "]".repeat(levels)
        );
        let response = alongside(&app, query(&values)).await;
        assert!(
            response.error_code().starts_with("GRAPHQL_"),
            "{}",
            response.text()
        );
    }
}

#[tokio::test]
async fn deeply_nested_variables_are_refused() {
    for app in TestApp::all().await {
        let levels = 100_000;
        let body = format!(
            "{{\"query\":\"query($f: DrugFilter) {{ drugs(filter: $f) {{ totalCount }} }}\",\
             \"variables\":{{\"f\":{}1{}}}}}",
            "[".repeat(levels),
            "]".repeat(levels)
        );
        let response = alongside(&app, post(body)).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.text()
        );
        // Nested within the JSON parser's limit, but not a DrugFilter.
        let shape = json!({ "f": { "name": { "name": { "name": "x" } } } });
        let response = alongside(
            &app,
            query_with(
                "query($f: DrugFilter) { drugs(filter: $f) { totalCount } }",
                shape,
            ),
        )
        .await;
        assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
        assert_message(&response, "filter.name");
    }
}

#[tokio::test]
async fn many_aliases_operations_and_introspections_are_refused() {
    for app in TestApp::all().await {
        let aliases: String = (0..10_000).map(|i| format!("a{i}: __typename ")).collect();
        let response = alongside(&app, query(&format!("{{ {aliases} }}"))).await;
        assert_message(&response, "10000 aliases");

        let batch: Vec<_> = (0..1_000)
            .map(|_| json!({ "query": "{ regimens { slug } }" }))
            .collect();
        let response = alongside(&app, post(json!(batch).to_string())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert!(
            response.text().contains("at most 10"),
            "{}",
            response.text()
        );

        // The full introspection query, ten times in one batch: answered, as it is cheap,
        // and each answer is the same schema.
        let introspection = "{ __schema { types { name fields { name args { name } } } } }";
        let flood: Vec<_> = (0..10).map(|_| json!({ "query": introspection })).collect();
        let response = alongside(&app, post(json!(flood).to_string())).await;
        let answers = response.json();
        let answers = answers.as_array().expect("a batch answer");
        assert_eq!(answers.len(), 10);
        assert!(answers.iter().all(|a| a == &answers[0]));
        // Introspection is not costed, so introspecting many times in one document is refused.
        let aliased: String = (0..30)
            .map(|i| {
                format!("s{i}: __schema {{ types {{ fields {{ args {{ type {{ name }} }} }} }} }} ")
            })
            .collect();
        let response = alongside(&app, query(&format!("{{ {aliased} }}"))).await;
        assert_message(&response, "introspects the schema 30 times");
    }
}

#[tokio::test]
async fn page_sizes_and_cursors_out_of_range_get_clear_errors() {
    use base64::Engine as _;
    let encode = |raw: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    for app in TestApp::all().await {
        for (first, code) in [
            ("1000000", "PAGE_SIZE_EXCEEDED"),
            ("2147483647", "PAGE_SIZE_EXCEEDED"),
            ("-2147483648", "BAD_USER_INPUT"),
        ] {
            let response = alongside(
                &app,
                query(&format!(
                    "{{ pages(first: {first}) {{ edges {{ node {{ url }} }} }} }}"
                )),
            )
            .await;
            assert_eq!(response.error_code(), code, "{first}: {}", response.text());
        }
        let response = alongside(&app, query("{ pages(first: 99999999999) { totalCount } }")).await;
        assert!(
            response.error_code().starts_with("GRAPHQL_"),
            "{}",
            response.text()
        );
        // Cursors are opaque: forged ones, at the edges of the integer range or naming no
        // row, are refused as input, never overflow or reach the database as errors.
        for (connection, cursor) in [
            ("pages", "not a cursor".to_owned()),
            ("pages", encode("row:2147483647")),
            ("pages", encode("row:2147483648")),
            ("pages", encode("row:-1")),
            ("pages", encode("row:18446744073709551615")),
            ("pages", "\u{0}\u{ffff}".to_owned()),
            ("search", encode("search:ffffffffffffffff:1")),
            ("search", encode("search:7ff8000000000000:2147483647")),
            ("search", encode("search:1:99999999999")),
            ("search", encode("row:1")),
        ] {
            let search = if connection == "search" {
                ", query: \"gemcitabine\""
            } else {
                ""
            };
            let query = format!(
                "query($c: String) {{ {connection}(first: 10, after: $c{search}) {{ totalCount }} }}"
            );
            let response = alongside(&app, query_with(&query, json!({ "c": cursor }))).await;
            let json = response.json();
            if json.get("errors").is_some() {
                assert_eq!(response.error_code(), "BAD_USER_INPUT", "{cursor}: {json}");
            } else {
                assert!(json["data"][connection]["totalCount"].is_number(), "{json}");
            }
        }
    }
}

#[tokio::test]
async fn malformed_bodies_and_unknown_fields_get_clear_errors() {
    for app in TestApp::all().await {
        let response = alongside(&app, query("{ regimens { slug noSuchField } }")).await;
        assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
        assert_message(&response, "noSuchField");

        let mut invalid_utf8 = br#"{"query":"{ regimens { slug } }", "x": ""#.to_vec();
        invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3]);
        invalid_utf8.extend_from_slice(br#""}"#);
        let response = alongside(&app, post(invalid_utf8)).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.text()
        );
        assert_message(&response, "not a GraphQL request");

        let response = alongside(&app, post(&b"\x00\x01\x02"[..])).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.text()
        );
        assert_eq!(response.error_code(), "BAD_REQUEST");

        // Ten megabytes: refused on its declared length, before it is read.
        let huge = vec![b' '; 10 * 1024 * 1024];
        let response = alongside(&app, post(huge)).await;
        assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
        // And with no declared length, refused once the limit is read.
        let chunks =
            futures::stream::iter((0..160).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])));
        let streamed = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(chunks))
            .expect("request");
        let response = alongside(&app, streamed).await;
        assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn mutations_need_the_token_and_write_nothing_without_it() {
    let config = ServerConfig {
        admin_token: Some(ADMIN_TOKEN.to_owned()),
        ..ServerConfig::default()
    };
    for app in TestApp::all_with(config).await {
        let before = app
            .graphql("{ pages { totalCount } }", json!({}))
            .await
            .data();
        for mutation in [
            "mutation { triggerSync }",
            r#"mutation { importPage(url: "https://example.org/x", html: "<p>x</p>") { change } }"#,
            r#"mutation { acceptRevision(id: "UmV2aXNpb246MQ==") { number } }"#,
        ] {
            for authorization in [
                None,
                Some("Bearer "),
                Some("Bearer x"),
                Some("Basic dGVzdA=="),
            ] {
                let mut request = Request::post("/graphql")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::ACCEPT, "application/json");
                if let Some(value) = authorization {
                    request = request.header(header::AUTHORIZATION, value);
                }
                let body = json!({ "query": mutation }).to_string();
                let response =
                    alongside(&app, request.body(Body::from(body)).expect("request")).await;
                assert_eq!(
                    response.error_code(),
                    "UNAUTHORIZED",
                    "{mutation} {authorization:?}"
                );
            }
        }
        let after = app
            .graphql("{ pages { totalCount } }", json!({}))
            .await
            .data();
        assert_eq!(before, after);
    }
}

#[tokio::test]
async fn sql_and_search_metacharacters_are_only_text() {
    let hostile = [
        "'",
        "\"",
        "' OR 1=1 --",
        "'; DROP TABLE pages; --",
        "%",
        "_",
        "\\",
        "*",
        "\"unbalanced",
        "NEAR(a b)",
        "a OR b AND NOT c",
        "col:value",
        "^start",
        "(((",
        "\u{0}",
        "\u{202e}gnp.exe",
        "🧪",
        "$$ LANGUAGE sql $$",
        "%' UNION SELECT sql FROM sqlite_master --",
    ];
    for app in TestApp::all().await {
        let drugs = app
            .graphql("{ drugs { totalCount } }", json!({}))
            .await
            .data();
        for text in hostile {
            let queries = [
                "query($s: String!) { search(query: $s) { totalCount } }",
                "query($s: String!) { drug(slug: $s) { slug } }",
                "query($s: String!) { page(url: $s) { url } }",
                "query($s: String) { drugs(filter: { name: $s }) { totalCount } }",
                "query($s: String) { treatments(filter: { category: $s }) { totalCount } }",
                "query($s: ID!) { node(id: $s) { id } }",
                "query($s: String) { pages(after: $s) { totalCount } }",
            ];
            for query in queries {
                let response = alongside(&app, query_with(query, json!({ "s": text }))).await;
                let json = response.json();
                if json.get("errors").is_some() {
                    // Only a refusal of the input, never a database error surfacing.
                    let code = response.error_code();
                    assert_eq!(code, "BAD_USER_INPUT", "{query} with {text:?}: {json}");
                }
            }
        }
        // NUL written into the document is refused like NUL in a variable.
        let response = alongside(&app, query(r#"{ drug(slug: "a\u0000") { slug } }"#)).await;
        assert_eq!(
            response.error_code(),
            "BAD_USER_INPUT",
            "{}",
            response.text()
        );
        // Nothing was dropped or changed.
        let after = app
            .graphql("{ drugs { totalCount } }", json!({}))
            .await
            .data();
        assert_eq!(drugs, after);
        // A quote inside a search is still searched for as text.
        let quoted = app
            .graphql(
                "query($s: String!) { search(query: $s) { totalCount } }",
                json!({ "s": "\"gemcitabine" }),
            )
            .await
            .data();
        assert!(
            quoted["search"]["totalCount"].as_i64() > Some(0),
            "{quoted}"
        );
    }
}
