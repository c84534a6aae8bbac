//! A sync that reaches its page limit says so: status partial, finish reason `page_limit`, the
//! count of same-site URLs left unread, and a line among the run's errors. One that reads every
//! page it finds is ok and `finished`.

use lmsdr_entity::sea_orm_active_enums::SyncRunStatus;
use lmsdr_entity::sync_errors;
use lmsdr_ingest::sync::{self, FinishReason, Quiet};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::site::Site;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

fn page(title: &str, links: &[&str]) -> String {
    let items: String = links
        .iter()
        .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>"))
        .collect();
    format!(
        "<html><head><title>{title}</title></head><body><h1>{title}</h1>\
         <p>About leiomyosarcoma, page {title}.</p><ul>{items}</ul></body></html>"
    )
}

async fn site() -> Site {
    let site = Site::start().await;
    site.allow_all_robots();
    site.page("/", &page("Home", &["/a.php", "/b.php", "/c.php"]));
    for (path, title) in [("/a.php", "A"), ("/b.php", "B"), ("/c.php", "C")] {
        site.page(path, &page(title, &["/"]));
    }
    site
}

#[tokio::test]
async fn a_sync_stopped_by_its_page_limit_is_partial_and_says_how_much_is_left() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let site = site().await;
        let report = sync::run(&db.conn, &db.url, &site.sync_options(2), &Quiet)
            .await
            .expect("the sync runs");
        assert_eq!(report.status, SyncRunStatus::Partial, "{backend}");
        assert_eq!(report.finish_reason, FinishReason::PageLimit, "{backend}");
        assert_eq!(report.counts.fetched, 2, "{backend}");
        assert_eq!(
            report.counts.left_unread, 2,
            "{backend}: b and c were found, not read"
        );
        let run_id = report.run_id.expect("a run");
        let errors = sync_errors::Entity::find()
            .filter(sync_errors::Column::SyncRunId.eq(run_id))
            .all(&db.conn)
            .await
            .expect("errors");
        assert!(
            errors.iter().any(|e| e.reason.contains("page limit (2)")
                && e.reason.contains("2 same-site URL(s) left unread")),
            "{backend}: {errors:?}"
        );
        let json = serde_json::to_value(&report).expect("JSON");
        assert_eq!(json["finishReason"], "page_limit", "{backend}");

        let report = sync::run(&db.conn, &db.url, &site.sync_options(10), &Quiet)
            .await
            .expect("the sync runs");
        assert_eq!(report.status, SyncRunStatus::Ok, "{backend}");
        assert_eq!(report.finish_reason, FinishReason::Finished, "{backend}");
        assert_eq!(report.counts.left_unread, 0, "{backend}");
    }
}
