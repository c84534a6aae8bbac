//! lmsdr's history over Memento (RFC 7089), on SQLite and PostgreSQL, checked against the RFC's
//! own examples (sections 5.1.1, 4.1 and 4.2): the TimeMap in link format, the TimeGate's 302
//! with `Vary: accept-datetime`, the memento with `Memento-Datetime`, its links and a sandboxed
//! body. A held revision is no memento.

mod common;

use axum::http::{StatusCode, header};
use common::TestApp;
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::bundled::TREATMENTS_URL;
use lmsdr_ingest::pipeline::{self, Input};
use lmsdr_ingest::testing::store_bundled_edit;
use url::Url;

const HOST: &str = "lmsdr.test";
const MAINTENANCE: &str = "<html><head><title>Maintenance</title></head><body>\
    <p>Down for maintenance.</p></body></html>";

/// One link of a link-format list or `Link` header: its target and parameters.
#[derive(Debug)]
struct Link {
    target: String,
    rel: Vec<String>,
    datetime: Option<String>,
    params: Vec<(String, String)>,
}

/// Reads `<target>; rel="..."; datetime="...", <...>` (the values hold no `,` or `;` but the
/// dates' one comma, inside quotes).
fn links(text: &str) -> Vec<Link> {
    let mut found = Vec::new();
    let mut rest = text.trim();
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .map(|e| start + e)
            .expect("a closing >");
        let target = rest[start + 1..end].to_owned();
        let after = &rest[end + 1..];
        let next = after.find('<').unwrap_or(after.len());
        let mut link = Link {
            target,
            rel: Vec::new(),
            datetime: None,
            params: Vec::new(),
        };
        for param in after[..next].split(';') {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_end_matches(',').trim().trim_matches('"');
            match name.trim() {
                "rel" => link.rel = value.split_whitespace().map(str::to_owned).collect(),
                "datetime" => link.datetime = Some(value.to_owned()),
                other => link.params.push((other.to_owned(), value.to_owned())),
            }
        }
        found.push(link);
        rest = &after[next..];
    }
    found
}

fn with_rel<'a>(links: &'a [Link], rel: &str) -> Vec<&'a Link> {
    links
        .iter()
        .filter(|l| l.rel.iter().any(|r| r == rel))
        .collect()
}

fn header_text(response: &common::TestResponse, name: &str) -> String {
    response
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The path of an absolute link on this server.
fn path_of(target: &str) -> String {
    let url = Url::parse(target).expect("an absolute link");
    assert_eq!(url.host_str(), Some(HOST), "{target}");
    target[url[..url::Position::BeforePath].len()..].to_owned()
}

#[tokio::test]
async fn the_pages_history_reads_as_an_archive() {
    for app in TestApp::all().await {
        let backend = app.db.backend();
        store_bundled_edit(
            &app.db.conn,
            "Therapy for uterine LMS may be useful",
            "Therapy for uterine LMS can be useful",
            "2013-01-01T00:00:00Z",
        )
        .await;
        let held = pipeline::ingest(
            &app.db.conn,
            Input {
                fetched_at: "2013-06-01T00:00:00Z".parse().expect("a time"),
                ..Input::new(
                    Url::parse(TREATMENTS_URL).expect("url"),
                    MAINTENANCE.as_bytes().to_vec(),
                    RevisionOrigin::Sync,
                )
            },
        )
        .await
        .expect("stored");
        assert!(held.stored.quarantine_reason.is_some(), "{backend}: held");
        store_bundled_edit(
            &app.db.conn,
            "Therapy for uterine LMS may be useful",
            "Therapy for uterine LMS might be useful",
            "2014-01-01T00:00:00Z",
        )
        .await;
        let host = [(header::HOST, HOST)];

        // The TimeMap (RFC 7089 5.1.1): original, timegate, self with from and until, and one
        // memento per accepted revision, each with its datetime.
        let timemap = app
            .get_with(&format!("/timemap/link/{TREATMENTS_URL}"), &host)
            .await;
        assert_eq!(timemap.status, StatusCode::OK, "{backend}");
        assert_eq!(timemap.content_type(), "application/link-format");
        let map = links(&timemap.text());
        assert_eq!(with_rel(&map, "original")[0].target, TREATMENTS_URL);
        let timegate = with_rel(&map, "timegate")[0].target.clone();
        assert_eq!(
            path_of(&timegate),
            format!("/timegate/{TREATMENTS_URL}"),
            "{backend}"
        );
        let this = with_rel(&map, "self")[0];
        assert!(
            this.params
                .iter()
                .any(|(n, v)| n == "type" && v == "application/link-format"),
            "{backend}: {this:?}"
        );
        assert!(this.params.iter().any(|(n, _)| n == "from"));
        assert!(
            this.params
                .iter()
                .any(|(n, v)| n == "until" && v == "Wed, 01 Jan 2014 00:00:00 GMT")
        );
        let mementos = with_rel(&map, "memento");
        assert_eq!(
            mementos.len(),
            3,
            "{backend}: the held revision is no memento: {}",
            timemap.text()
        );
        assert!(mementos[0].rel.contains(&"first".to_owned()));
        assert!(mementos[2].rel.contains(&"last".to_owned()));
        assert_eq!(
            mementos[1].datetime.as_deref(),
            Some("Tue, 01 Jan 2013 00:00:00 GMT")
        );
        assert_eq!(
            path_of(&mementos[1].target),
            format!("/memento/20130101000000/{TREATMENTS_URL}")
        );
        assert!(!timemap.text().contains("20130601"), "{backend}");

        // The TimeGate (4.1): 302 to the memento in force, `Vary: accept-datetime`, the
        // original and the TimeMap linked. In 2013-06 the held revision is skipped.
        let gate_path = path_of(&timegate);
        for (asked, expected) in [
            (Some("Sat, 01 Jun 2013 12:00:00 GMT"), "20130101000000"),
            (
                Some("Thu, 01 Jan 1970 00:00:00 GMT"),
                mementos[0].target.as_str(),
            ),
            (None, "20140101000000"),
        ] {
            let mut headers = vec![(header::HOST, HOST)];
            if let Some(asked) = asked {
                headers.push((header::HeaderName::from_static("accept-datetime"), asked));
            }
            let gate = app.get_with(&gate_path, &headers).await;
            assert_eq!(gate.status, StatusCode::FOUND, "{backend} {asked:?}");
            assert_eq!(header_text(&gate, "vary"), "accept-datetime");
            let location = header_text(&gate, "location");
            assert!(
                location.contains(
                    expected
                        .rsplit_once("/memento/")
                        .map_or(expected, |(_, t)| t)
                ),
                "{backend} {asked:?}: {location}"
            );
            let linked = links(&header_text(&gate, "link"));
            assert_eq!(with_rel(&linked, "original")[0].target, TREATMENTS_URL);
            assert_eq!(with_rel(&linked, "timemap").len(), 1);
        }
        let bad = app
            .get_with(
                &gate_path,
                &[(
                    header::HeaderName::from_static("accept-datetime"),
                    "yesterday",
                )],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{backend}");

        // A memento (4.2): the bytes as fetched, its datetime, its neighbours, sandboxed.
        let memento = app.get_with(&path_of(&mementos[1].target), &host).await;
        assert_eq!(memento.status, StatusCode::OK, "{backend}");
        assert_eq!(
            header_text(&memento, "memento-datetime"),
            "Tue, 01 Jan 2013 00:00:00 GMT"
        );
        assert!(
            memento
                .text()
                .contains("Therapy for uterine LMS can be useful")
        );
        let csp = header_text(&memento, "content-security-policy");
        assert!(csp.starts_with("sandbox"), "{backend}: {csp}");
        assert!(!csp.contains("allow-scripts"), "{csp}");
        let linked = links(&header_text(&memento, "link"));
        for rel in [
            "original", "timegate", "timemap", "first", "prev", "next", "last",
        ] {
            assert_eq!(
                with_rel(&linked, rel).len(),
                1,
                "{backend}: {rel} in {linked:?}"
            );
        }
        assert_eq!(
            with_rel(&linked, "next")[0].datetime.as_deref(),
            Some("Wed, 01 Jan 2014 00:00:00 GMT")
        );

        // The held revision's second is no memento: it redirects to the one in force.
        let at_held = app
            .get_with(&format!("/memento/20130601000000/{TREATMENTS_URL}"), &host)
            .await;
        assert_eq!(at_held.status, StatusCode::FOUND, "{backend}");
        assert!(header_text(&at_held, "location").contains("/memento/20130101000000/"));

        // Other forms of the URL name the same page; an unknown page is 404.
        let other_form = app
            .get("/timemap/link/https://lmsdr.org/treatments.php")
            .await;
        assert_eq!(other_form.status, StatusCode::OK, "{backend}");
        let unknown = app.get("/timegate/http://www.lmsdr.org/nothing.php").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{backend}");
    }
}
