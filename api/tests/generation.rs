//! The content generation moves with every write a read can see, whoever writes, and reading it
//! never waits on a read that a dropped request left behind.

use std::time::Duration;

use futures::FutureExt;
use lmsdr_api::feed::Generation;
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::pipeline::{self, Input};
use lmsdr_ingest::testing::TestDb;
use url::Url;

/// Fails a test that would otherwise hang; far above any honest wait.
const HANG: Duration = Duration::from_secs(120);

async fn store(db: &TestDb, text: &str) {
    let html = format!("<html><head><title>LMSdr</title></head><body><p>{text}</p></body></html>");
    let input = Input::new(
        Url::parse("http://www.lmsdr.org/news.php").expect("url"),
        html.into_bytes(),
        RevisionOrigin::Import,
    );
    pipeline::ingest(&db.conn, input).await.expect("stored");
}

#[tokio::test]
async fn a_commit_moves_the_generation_and_the_next_read_sees_it() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let generation = Generation::new(db.conn.clone());
        let before = generation.current().await.expect("read");
        assert_eq!(
            generation.current().await.expect("read"),
            before,
            "{backend}: nothing written, nothing moved"
        );
        store(&db, "The tissue bank opens in May.").await;
        let after = generation.current().await.expect("read");
        assert!(after > before, "{backend}: {before} then {after}");
        // The same content imported again writes nothing: nothing moves.
        store(&db, "The tissue bank opens in May.").await;
        assert_eq!(
            generation.current().await.expect("read"),
            after,
            "{backend}"
        );
        store(&db, "The tissue bank opens in June.").await;
        assert!(
            generation.current().await.expect("read") > after,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn requests_together_share_reads_and_a_dropped_one_blocks_nobody() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let generation = Generation::new(db.conn.clone());
        let expected = generation.current().await.expect("read");

        // Polled once and dropped: its read, if it started one, must not hold the others.
        let _ = generation.current().now_or_never();

        let reads = (0..64).map(|_| generation.current());
        let all = tokio::time::timeout(HANG, futures::future::join_all(reads))
            .await
            .unwrap_or_else(|_| panic!("{backend}: the reads never finished"));
        for read in all {
            assert_eq!(read.expect("read"), expected, "{backend}");
        }
    }
}
