//! `lmsdr migrate fresh` on a database with content: refused without `--yes`, and then all or
//! nothing — every table dropped and every migration applied, or the database left as it was.

use lmsdr_entity::pages;
use lmsdr_ingest::bundled;
use lmsdr_tests::{TestDb, run};
use sea_orm::{EntityTrait, PaginatorTrait};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn fresh_asks_for_yes_then_rebuilds_a_database_with_content() {
    for db in TestDb::all_unmigrated().await {
        let backend = db.backend();
        let up = run(["migrate", "up", "--database-url", &db.url]);
        assert!(up.status.success(), "{backend}: {}", text(&up.stderr));
        bundled::load_if_empty(&db.conn)
            .await
            .expect("the bundled page loads");
        let stored = pages::Entity::find().count(&db.conn).await.expect("counts");
        assert_eq!(stored, 1, "{backend}");

        let refused = run(["migrate", "fresh", "--database-url", &db.url]);
        assert_eq!(
            refused.status.code(),
            Some(64),
            "{backend}: {}",
            text(&refused.stderr)
        );
        let message = text(&refused.stderr);
        assert!(
            message.contains("1 page") && message.contains("--yes"),
            "{backend}: {message}"
        );
        assert_eq!(
            pages::Entity::find().count(&db.conn).await.expect("counts"),
            1,
            "{backend}: a refused fresh keeps everything"
        );

        let fresh = run(["migrate", "fresh", "--yes", "--database-url", &db.url]);
        assert!(fresh.status.success(), "{backend}: {}", text(&fresh.stderr));
        let status = run(["migrate", "status", "--database-url", &db.url]);
        let lines = text(&status.stdout);
        assert!(
            !lines.is_empty() && lines.lines().all(|l| l.starts_with("applied ")),
            "{backend}: {lines}"
        );
        assert_eq!(
            pages::Entity::find().count(&db.conn).await.expect("counts"),
            0,
            "{backend}: fresh empties the database"
        );
        let again = run(["migrate", "up", "--database-url", &db.url]);
        assert!(again.status.success(), "{backend}: {}", text(&again.stderr));
        assert!(
            text(&again.stdout).contains("applied 0"),
            "{backend}: {}",
            text(&again.stdout)
        );
    }
}

#[tokio::test]
async fn fresh_on_an_empty_database_needs_no_confirmation() {
    for db in TestDb::all_unmigrated().await {
        let fresh = run(["migrate", "fresh", "--database-url", &db.url]);
        assert!(
            fresh.status.success(),
            "{}: {}",
            db.backend(),
            text(&fresh.stderr)
        );
    }
}
