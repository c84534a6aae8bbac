//! Rebuilding a page's edit history from a web archive (WARC), on SQLite and PostgreSQL.

use chrono::{TimeZone, Utc};
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_entity::{drugs, page_revisions};
use lmsdr_ingest::import::import_paths;
use lmsdr_ingest::testing::TestDb;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use url::Url;
use warc::{RecordBuilder, RecordType, WarcHeader, WarcWriter};

const TREATMENTS: &str = include_str!("fixtures/treatments/html5.html");
const URL: &str = "http://www.lmsdr.org/treatments.php";

fn response(html: &str) -> Vec<u8> {
    let mut raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        html.len()
    )
    .into_bytes();
    raw.extend_from_slice(html.as_bytes());
    raw
}

fn record(
    kind: RecordType,
    url: &str,
    at: chrono::DateTime<Utc>,
    body: Vec<u8>,
) -> warc::Record<warc::BufferedBody> {
    RecordBuilder::default()
        .warc_type(kind)
        .date(at)
        .header(WarcHeader::TargetURI, url)
        .body(body)
        .build()
        .expect("a valid record")
}

#[tokio::test]
async fn captures_replay_in_date_order() {
    let older = Utc
        .with_ymd_and_hms(2012, 9, 1, 10, 0, 0)
        .single()
        .expect("date");
    let newer = Utc
        .with_ymd_and_hms(2013, 3, 1, 10, 0, 0)
        .single()
        .expect("date");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lmsdr.warc");
    {
        let mut writer = WarcWriter::from_path(&path).expect("writer");
        // Written newest first: replay must sort by capture date.
        let without_letrozole = TREATMENTS.replace("  <li>Femara (letrozole)</li>\n", "");
        writer
            .write(&record(
                RecordType::Response,
                URL,
                newer,
                response(&without_letrozole),
            ))
            .expect("write");
        writer
            .write(&record(
                RecordType::Request,
                URL,
                older,
                b"GET /treatments.php HTTP/1.1\r\n\r\n".to_vec(),
            ))
            .expect("write");
        writer
            .write(&record(
                RecordType::Response,
                URL,
                older,
                response(TREATMENTS),
            ))
            .expect("write");
        writer
            .write(&record(
                RecordType::Response,
                "http://www.lmsdr.org/logo.gif",
                older,
                b"HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\n\r\nGIF89a".to_vec(),
            ))
            .expect("write");
    }
    // The same archive compressed, as `.warc.gz` files usually come.
    let gz_path = dir.path().join("lmsdr.warc.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, &std::fs::read(&path).expect("read")).expect("gzip");
    std::fs::write(&gz_path, encoder.finish().expect("gzip")).expect("write");

    let mut runs = Vec::new();
    for archive in [&path, &gz_path] {
        for db in TestDb::all().await {
            runs.push((archive.clone(), db));
        }
    }
    for (archive, db) in runs {
        let base = Url::parse("http://ignored.example/").expect("url");
        let report = import_paths(&db.conn, &db.url, &[archive], &base)
            .await
            .expect("imports");
        assert_eq!(
            (
                report.pages.pages_new,
                report.pages.pages_changed,
                report.pages.pages_failed
            ),
            (1, 1, 0),
            "{}: {:?}",
            db.backend(),
            report.files
        );
        let revisions = page_revisions::Entity::find()
            .order_by_asc(page_revisions::Column::Number)
            .all(&db.conn)
            .await
            .expect("query");
        let history: Vec<_> = revisions
            .iter()
            .map(|r| (r.number, r.fetched_at, r.origin))
            .collect();
        assert_eq!(
            history,
            [
                (1, older, RevisionOrigin::Archive),
                (2, newer, RevisionOrigin::Archive)
            ]
        );
        let letrozole = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq("letrozole"))
            .one(&db.conn)
            .await
            .expect("query")
            .expect("kept");
        assert_eq!(
            (letrozole.first_listed_at, letrozole.delisted_at),
            (older, Some(newer))
        );
    }
}

/// A WARC record as bytes, its header's `Content-Length` as given.
fn raw_record(content_length: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {URL}\r\n\
         WARC-Date: 2011-01-01T00:00:00Z\r\n\
         WARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-123456789012>\r\n\
         Content-Type: application/http; msgtype=response\r\n\
         Content-Length: {content_length}\r\n\r\n"
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw.extend_from_slice(b"\r\n\r\n");
    raw
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("compresses");
    encoder.finish().expect("compresses")
}

#[tokio::test]
async fn hostile_archives_fail_alone_and_oversized_records_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write =
        |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).expect("written");
    let page =
        response("<html><head><title>Then</title></head><body><p>Archived.</p></body></html>");
    write(
        "lying-length.warc",
        &raw_record("18446744073709551614", &page),
    );
    write(
        "truncated.warc",
        &raw_record("5000", b"HTTP/1.1 200 OK\r\n\r\n"),
    );
    write(
        "endless-header.warc",
        format!("WARC/1.0\r\nX-Pad: {}", "a".repeat(200_000)).as_bytes(),
    );
    write("not-a-warc.warc", b"GIF89a\r\ngarbage: \x00\x01\r\n\r\n");
    // 100 MiB of zeros in one record, compressed to a few hundred KiB.
    let zeros = vec![0u8; 100 * 1024 * 1024];
    write(
        "bomb.warc.gz",
        &gzip(&raw_record(&zeros.len().to_string(), &zeros)),
    );
    drop(zeros);
    // A good archive with one record over the page cap beside a good one.
    let mut big = response("");
    big.resize(9 * 1024 * 1024, b' ');
    let mut mixed = raw_record(&big.len().to_string(), &big);
    mixed.extend(raw_record(&page.len().to_string(), &page));
    write("mixed.warc", &mixed);

    for db in TestDb::all().await {
        let base = Url::parse("http://www.lmsdr.org/").expect("url");
        let report = import_paths(&db.conn, &db.url, &[dir.path().to_owned()], &base)
            .await
            .expect("the import runs");
        let error_of = |name: &str| {
            report
                .files
                .iter()
                .find(|f| f.path.ends_with(name))
                .and_then(|f| f.error.clone())
                .unwrap_or_default()
        };
        for (name, says) in [
            ("lying-length.warc", "truncated"),
            ("truncated.warc", "truncated"),
            ("endless-header.warc", "header is over"),
            ("not-a-warc.warc", "malformed"),
            ("bomb.warc.gz", "decompression bomb"),
        ] {
            assert!(
                error_of(name).contains(says),
                "{}: {name}: {:?}",
                db.backend(),
                error_of(name)
            );
        }
        assert_eq!(report.pages.pages_failed, 5, "{}", db.backend());
        assert_eq!(
            report.pages.pages_new,
            1,
            "{}: the good record of mixed.warc",
            db.backend()
        );
        assert!(
            report
                .pages
                .notices
                .iter()
                .any(|n| n.notice.contains("over the") && n.notice.contains("skipped")),
            "{}: {:?}",
            db.backend(),
            report.pages.notices
        );
        let stored = page_revisions::Entity::find()
            .all(&db.conn)
            .await
            .expect("revisions");
        assert_eq!(stored.len(), 1, "{}", db.backend());
    }
}
