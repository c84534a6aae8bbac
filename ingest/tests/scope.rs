//! A sync of a site served as WordPress serves one, on SQLite and PostgreSQL: five content pages
//! in the menu, and beside them endless pagination, a calendar whose every month links the next,
//! tag and category archives (each `noindex, follow`), comment-reply links, feeds, the REST API,
//! a short link, and tracking and session copies of pages. The crawl reads the content and stops
//! on its own; what it left out is counted by rule.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lmsdr_entity::sea_orm_active_enums::AliasReason;
use lmsdr_entity::{page_aliases, pages};
use lmsdr_ingest::sync::{self, Quiet, SkipRule, SyncOptions};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::site::serve_on_loopback;
use sea_orm::{EntityTrait, PaginatorTrait};

/// The pages with content, as the menu lists them.
const CONTENT: [(&str, &str); 5] = [
    ("/", "Home"),
    ("/what-is-leiomyosarcoma/", "What is leiomyosarcoma"),
    ("/treatments/", "Treatments"),
    ("/faqs/", "FAQs"),
    ("/clinical-trials/", "Clinical trials"),
];

/// Every path and query asked for.
type Requests = Arc<Mutex<Vec<String>>>;

/// A page in the theme: the menu, the sidebar's traps, a body; `noindex` for archives.
fn page(base: &str, path: &str, title: &str, noindex: bool, extra: &str) -> String {
    let menu: String = CONTENT
        .iter()
        .map(|(path, title)| format!("<li><a href=\"{path}\">{title}</a></li>"))
        .collect();
    let robots = if noindex {
        "<meta name=\"robots\" content=\"noindex,follow\">"
    } else {
        ""
    };
    format!(
        "<html><head><title>{title} – LMSdr</title>{robots}\
         <link rel=\"canonical\" href=\"{base}{path}\">\
         <link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed/\"></head><body>\
         <ul class=\"menu\">{menu}</ul>\
         <h1>{title}</h1><p>{title}: what the foundation says about leiomyosarcoma, \
         a rare cancer of smooth muscle, for patients and their doctors.</p>{extra}\
         <p>News from the foundation in <a href=\"/2016/10/\">October 2016</a>, and the \
         <a href=\"/page/2/\">older posts</a> of the blog.</p>\
         <p>Everything filed under <a href=\"/category/news/\">news</a> or tagged \
         <a href=\"/tag/lms/\">LMS</a>.</p>\
         <p>Follow the <a href=\"/feed/\">RSS feed</a> or the <a href=\"/wp-json/wp/v2/pages\">API</a>; \
         a <a href=\"/?p=12\">short link</a> to this page.</p>\
         <p>Leave a <a href=\"/treatments/?replytocom=5#respond\">reply to Anne</a>, read the \
         <a href=\"/faqs/?utm_source=newsletter&amp;utm_medium=email\">FAQs from the newsletter</a> \
         or <a href=\"/faqs/?PHPSESSID=0123456789abcdef\">in your session</a>, and \
         <a href=\"/treatments/?share=facebook\">share the treatments</a>, or read \
         <a href=\"/treatments/amp/\">the light version</a>.</p>\
         <p>Add the <a href=\"/events/?ical=1\">events to your calendar</a>, \
         <a href=\"/faqs/?print=1\">print the FAQs</a>, browse the \
         <a href=\"/shop/?filter_color=teal&amp;orderby=price\">teal ribbons</a>, or the \
         <a href=\"/faqs/;jsessionid=0AB12CD34\">FAQs in this session</a>.</p></body></html>"
    )
}

/// The next page of an endless archive: `/page/3/` after `/page/2/`, November after October.
fn next_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [.., "page", n] => {
            let n: u32 = n.parse().ok()?;
            let stem = path.trim_end_matches('/').rsplit_once("/page/")?.0;
            Some(format!("{stem}/page/{}/", n + 1))
        }
        ["category" | "tag", _] => Some(format!("{path}page/2/")),
        [year, month] => {
            let (year, month): (u32, u32) = (year.parse().ok()?, month.parse().ok()?);
            let (year, month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            Some(format!("/{year}/{month:02}/"))
        }
        _ => None,
    }
}

async fn wordpress(
    State((base, seen)): State<(Arc<Mutex<String>>, Requests)>,
    request: Request,
) -> Response {
    let uri = request.uri().clone();
    let path = uri.path().to_owned();
    let full = uri.path_and_query().map_or(path.clone(), |p| p.to_string());
    seen.lock().unwrap_or_else(|e| e.into_inner()).push(full);
    let base = base.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let html =
        |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    if uri.query().is_some_and(|q| q.starts_with("p=")) {
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, "/treatments/")],
        )
            .into_response();
    }
    match path.as_str() {
        "/robots.txt" => {
            format!("User-agent: *\nDisallow: /wp-admin/\nSitemap: {base}/sitemap.xml\n")
                .into_response()
        }
        "/sitemap.xml" => {
            let urls: String = CONTENT
                .iter()
                .map(|(path, _)| format!("<url><loc>{base}{path}</loc></url>"))
                .collect();
            (
                [(header::CONTENT_TYPE, "application/xml")],
                format!("<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>"),
            )
                .into_response()
        }
        "/feed/" => ([(header::CONTENT_TYPE, "application/rss+xml")], "<rss/>").into_response(),
        // A copy in another layout that names the page as canonical.
        "/treatments/amp/" => html(page(&base, "/treatments/", "Treatments (light)", false, "")),
        p if p.starts_with("/wp-json/") => {
            ([(header::CONTENT_TYPE, "application/json")], "[]").into_response()
        }
        p => match CONTENT.iter().find(|(path, _)| *path == p) {
            Some((path, title)) => html(page(&base, path, title, false, "")),
            None => match next_of(p) {
                Some(next) => html(page(
                    &base,
                    p,
                    &format!("Archives {p}"),
                    true,
                    &format!("<a href=\"{next}\">Next</a>"),
                )),
                None => StatusCode::NOT_FOUND.into_response(),
            },
        },
    }
}

/// Serves the site; its base URL and the requests it gets.
async fn start() -> (String, Requests) {
    let seen = Requests::default();
    let base = Arc::new(Mutex::new(String::new()));
    let app = Router::new()
        .fallback(wordpress)
        .with_state((base.clone(), seen.clone()));
    let site = serve_on_loopback(app).await;
    *base.lock().unwrap_or_else(|e| e.into_inner()) = site.clone();
    (site, seen)
}

/// Sync options for the site, a millisecond between requests.
fn options(site: &str) -> SyncOptions {
    let mut options = SyncOptions::new(url::Url::parse(&format!("{site}/")).expect("url"));
    options.delay = std::time::Duration::from_millis(1);
    options
}

/// Syncs the site; the report, the requests it made, and how many pages are stored.
async fn crawl(
    db: &TestDb,
    options: &SyncOptions,
    seen: &Requests,
) -> (sync::SyncReport, Vec<String>, u64) {
    seen.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let report = sync::run(&db.conn, &db.url, options, &Quiet)
        .await
        .expect("the sync runs");
    let requests = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let stored = pages::Entity::find().count(&db.conn).await.expect("count");
    (report, requests, stored)
}

#[tokio::test]
async fn a_wordpress_site_is_crawled_for_its_content_not_its_traps() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let (site, seen) = start().await;
        let options = options(&site);
        let (report, requests, stored) = crawl(&db, &options, &seen).await;

        // Before: 503 requests, 497 pages stored. Now the five pages, and a few archive pages
        // read for their links.
        assert_eq!(stored, 5, "{backend}: {requests:?}");
        assert!(
            requests.len() <= 30,
            "{backend}: {} requests: {requests:?}",
            requests.len()
        );
        for trap in [
            "/feed/",
            "/wp-json/",
            "replytocom",
            "share=",
            "utm_",
            "PHPSESSID",
            "jsessionid",
            "ical=",
            "print=",
            "filter_",
        ] {
            assert!(
                !requests.iter().any(|r| r.contains(trap)),
                "{backend}: {trap} was requested: {requests:?}"
            );
        }
        for endless in ["/page/", "/2016/", "/2017/", "/category/news/", "/tag/lms/"] {
            let n = requests.iter().filter(|r| r.starts_with(endless)).count();
            assert!(
                n <= sync::MAX_NOINDEX_CHAIN + 1,
                "{backend}: {n} requests into {endless}"
            );
        }
        assert_eq!(
            report.counts.left_unread, 0,
            "{backend}: the crawl ended by itself"
        );
        // The copy that names another URL as canonical is that page's alias, not a page.
        let aliases: Vec<(String, AliasReason)> = page_aliases::Entity::find()
            .all(&db.conn)
            .await
            .expect("aliases")
            .into_iter()
            .map(|a| (a.url, a.reason))
            .collect();
        assert!(
            aliases.contains(&(format!("{site}/treatments/amp/"), AliasReason::Canonical)),
            "{backend}: {aliases:?}"
        );
        assert!(
            aliases.contains(&(format!("{site}/?p=12"), AliasReason::Redirect)),
            "{backend}: {aliases:?}"
        );
        for rule in [
            SkipRule::NoPageParameter,
            SkipRule::NotContent,
            SkipRule::Noindex,
            SkipRule::NoindexChain,
        ] {
            assert!(
                report.skipped.count(rule) > 0,
                "{backend}: {rule:?} in {:?}",
                report.skipped
            );
        }
        let json = serde_json::to_value(&report).expect("JSON");
        assert!(
            json["skipped"]["noindexChain"]["examples"][0].is_string(),
            "{backend}: {}",
            json["skipped"]
        );

        // A second run reads the same and stores nothing new.
        let (_, again, stored) = crawl(&db, &options, &seen).await;
        assert_eq!(stored, 5, "{backend}: {again:?}");
    }
}

#[tokio::test]
async fn include_and_exclude_patterns_keep_what_the_defaults_cannot_know() {
    let exclude = regex::Regex::new("/clinical-trials/").expect("a pattern");
    let include = regex::Regex::new(r"/(faqs|treatments|clinical-trials)/$").expect("a pattern");
    for db in TestDb::all().await {
        let backend = db.backend();
        let (site, seen) = start().await;
        let mut options = options(&site);
        options.scope.exclude = vec![exclude.clone()];
        options.scope.include = vec![include.clone()];
        let (report, requests, stored) = crawl(&db, &options, &seen).await;
        // The start page, and the two pages both patterns allow.
        assert_eq!(stored, 3, "{backend}: {requests:?}");
        assert!(
            !requests.iter().any(|r| r.contains("clinical-trials")),
            "{backend}"
        );
        assert!(report.skipped.count(SkipRule::Excluded) > 0, "{backend}");
        assert!(report.skipped.count(SkipRule::NotIncluded) > 0, "{backend}");
    }
}

#[tokio::test]
async fn pages_an_earlier_crawl_stored_out_of_scope_are_kept_and_reported() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let (site, _) = start().await;
        // Stored before the crawl had a scope: a comment-reply copy and a tracking copy.
        for path in ["/treatments/?replytocom=5", "/faqs/?utm_source=newsletter"] {
            let url = url::Url::parse(&format!("{site}{path}")).expect("url");
            let html = page(&site, "/treatments/", "Treatments (copy)", false, "");
            let input = lmsdr_ingest::pipeline::Input::new(
                url,
                html.into_bytes(),
                lmsdr_entity::sea_orm_active_enums::RevisionOrigin::Sync,
            );
            lmsdr_ingest::pipeline::ingest(&db.conn, input)
                .await
                .expect("stored");
        }
        let report = sync::run(&db.conn, &db.url, &options(&site), &Quiet)
            .await
            .expect("the sync runs");
        assert_eq!(
            report.out_of_scope.count, 2,
            "{backend}: {:?}",
            report.out_of_scope
        );
        assert_eq!(
            pages::Entity::find().count(&db.conn).await.expect("count"),
            7,
            "{backend}: nothing stored is deleted"
        );
        let json = serde_json::to_value(&report).expect("JSON");
        assert_eq!(json["outOfScope"]["count"], 2, "{backend}");
    }
}
