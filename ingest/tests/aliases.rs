//! One page, one URL: a URL serving a stored page's content (the home page at `/` and
//! `/index.php`), one naming a stored page as canonical with its content, and one redirecting
//! to a stored page are that page's aliases: stored once, read as it, and not counted against
//! the page limit. Nothing that differs is merged.

use chrono::{TimeDelta, Utc};
use lmsdr_entity::sea_orm_active_enums::{AliasReason, RevisionOrigin};
use lmsdr_entity::{page_aliases, pages};
use lmsdr_ingest::pipeline::{self, Input};
use lmsdr_ingest::store::{PageChange, aliased_page};
use lmsdr_ingest::sync::{self, FinishReason, PageOutcome, Quiet, SyncReport};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::site::{Route, Site};
use sea_orm::{EntityTrait, QueryOrder};
use url::Url;

/// A page; `canonical` adds a `<link rel="canonical">`.
fn html(title: &str, text: &str, links: &[&str], canonical: Option<&str>) -> String {
    let items: String = links
        .iter()
        .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>"))
        .collect();
    let canonical = canonical
        .map(|c| format!("<link rel=\"canonical\" href=\"{c}\">"))
        .unwrap_or_default();
    format!(
        "<html><head><title>{title}</title>{canonical}</head><body>\
         <p>{text}</p><ul>{items}</ul></body></html>"
    )
}

const HOME: &str = "The foundation funds research into leiomyosarcoma.";
const ABOUT: &str = "Leiomyosarcoma is a rare cancer of smooth muscle.";

async fn site() -> Site {
    let site = Site::start().await;
    site.allow_all_robots();
    let home_links = [
        "/index.php",
        "/about.php",
        "/about-lms.php",
        "/what.php",
        "/old.php",
    ];
    let home = html("LMSdr", HOME, &home_links, None);
    site.page("/", &home);
    site.page("/index.php", &home);
    site.page("/about.php", &html("About LMS", ABOUT, &["/"], None));
    // The same content under another title, naming /about.php as canonical: an alias.
    let named = html("About leiomyosarcoma", ABOUT, &["/"], Some("/about.php"));
    site.page("/about-lms.php", &named);
    // The same text at another address, naming nothing: a page of its own.
    site.page("/what.php", &html("What is LMS?", ABOUT, &["/"], None));
    site.route("/old.php", Route::Redirect("/about.php".into()));
    site
}

fn outcome<'a>(report: &'a SyncReport, site: &Site, path: &str) -> Option<&'a PageOutcome> {
    let url = site.url(path);
    report
        .pages
        .iter()
        .find(|p| p.url == url)
        .map(|p| &p.outcome)
}

#[tokio::test]
async fn a_page_served_at_several_urls_is_stored_once_with_the_others_as_its_aliases() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let site = site().await;
        // Five pages, one redirect and two aliases: the aliases do not count against a limit
        // of six.
        let report = sync::run(&db.conn, &db.url, &site.sync_options(6), &Quiet)
            .await
            .expect("the sync runs");
        assert_eq!(
            report.finish_reason,
            FinishReason::Finished,
            "{backend}: {:#?}",
            report.pages
        );
        assert_eq!(
            outcome(&report, &site, "/index.php"),
            Some(&PageOutcome::Alias(site.url("/"))),
            "{backend}"
        );
        assert_eq!(
            outcome(&report, &site, "/about-lms.php"),
            Some(&PageOutcome::Alias(site.url("/about.php"))),
            "{backend}"
        );

        let stored: Vec<String> = pages::Entity::find()
            .order_by_asc(pages::Column::Url)
            .all(&db.conn)
            .await
            .expect("pages")
            .into_iter()
            .map(|p| p.url)
            .collect();
        let urls = |paths: &[&str]| -> Vec<String> { paths.iter().map(|p| site.url(p)).collect() };
        assert_eq!(
            stored,
            urls(&["/", "/about.php", "/what.php"]),
            "{backend}: one page per address; the same text elsewhere without a canonical link stays apart"
        );
        let aliases: Vec<(String, AliasReason)> = page_aliases::Entity::find()
            .order_by_asc(page_aliases::Column::Url)
            .all(&db.conn)
            .await
            .expect("aliases")
            .into_iter()
            .map(|a| (a.url, a.reason))
            .collect();
        assert_eq!(
            aliases,
            vec![
                (site.url("/about-lms.php"), AliasReason::Canonical),
                (site.url("/index.php"), AliasReason::Duplicate),
                (site.url("/old.php"), AliasReason::Redirect),
            ],
            "{backend}"
        );
        let found = aliased_page(&db.conn, &[site.url("/old.php")])
            .await
            .expect("lookup")
            .map(|(_, page)| page.url);
        assert_eq!(found, Some(site.url("/about.php")), "{backend}");

        // The next sync reads each page once, through whichever URL links to it.
        site.clear_seen();
        let report = sync::run(&db.conn, &db.url, &site.sync_options(6), &Quiet)
            .await
            .expect("the sync runs");
        let paths = site.paths();
        for alias in ["/index.php", "/about-lms.php", "/old.php"] {
            assert!(
                !paths.iter().any(|p| p == alias),
                "{backend}: {alias} is read as its page: {paths:?}"
            );
        }
        assert_eq!(report.finish_reason, FinishReason::Finished, "{backend}");
    }
}

#[tokio::test]
async fn an_alias_keeps_nothing_that_differs_from_its_page() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let home = Url::parse("http://lmsdr.test/").expect("url");
        let index = Url::parse("http://lmsdr.test/index.php").expect("url");
        let now = Utc::now();
        let capture = |url: &Url, text: &str, at| Input {
            fetched_at: at,
            ..Input::new(
                url.clone(),
                html("LMSdr", text, &[], None).into_bytes(),
                RevisionOrigin::Import,
            )
        };
        let ingest = |input| pipeline::ingest(&db.conn, input);
        let first = ingest(capture(&home, HOME, now)).await.expect("home");
        assert_eq!(first.stored.change, PageChange::New, "{backend}");
        let alias = ingest(capture(&index, HOME, now)).await.expect("alias");
        assert_eq!(alias.stored.change, PageChange::Alias, "{backend}");
        assert_eq!(alias.stored.page_id, first.stored.page_id, "{backend}");

        // An older capture at the alias is the page's history.
        let older = now - TimeDelta::days(400);
        let past = ingest(capture(&index, "The foundation was founded.", older))
            .await
            .expect("past");
        assert_eq!(past.stored.change, PageChange::Past, "{backend}");
        assert_eq!(past.stored.page_id, first.stored.page_id, "{backend}");

        // New content at the alias: a page of its own again, the home page untouched.
        let later = now + TimeDelta::minutes(1);
        let own = ingest(capture(&index, "Donate to the tissue bank.", later))
            .await
            .expect("own page");
        assert_eq!(own.stored.change, PageChange::New, "{backend}");
        assert_ne!(own.stored.page_id, first.stored.page_id, "{backend}");
        let home_page = pages::Entity::find_by_id(first.stored.page_id)
            .one(&db.conn)
            .await
            .expect("read")
            .expect("home page");
        assert_eq!(
            home_page.content_hash, first.document.content_hash,
            "{backend}"
        );
        assert!(
            page_aliases::Entity::find()
                .all(&db.conn)
                .await
                .expect("aliases")
                .is_empty(),
            "{backend}"
        );
    }
}
