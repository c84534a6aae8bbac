//! The URLs a sync is to visit, each once, within its page budget.

use std::collections::{HashMap, HashSet, VecDeque};

use lmsdr_entity::sea_orm_active_enums::AliasReason;
use url::Url;

use super::scope::{self, Reach, Scope, SkipRule, SkipSummary};
use super::urls::same_site;
use crate::extract::Document;
use crate::fetch::robots::Robots;

/// URLs left unread that a run counts one by one; past it, it says "at least".
pub(super) const MAX_LEFT_COUNTED: usize = 10_000;

/// The URLs to visit, each once, within the page budget. A URL known as another address of a
/// stored page (an alias) is visited as that page.
pub(super) struct Frontier {
    /// Pages confirmed unchanged (304) whose `last_seen_at` is still to be written.
    pub(super) confirmed: Vec<i32>,
    /// URLs that pointed to another of the site (a redirect, a canonical link), with where
    /// and how.
    pub(super) pointers: Vec<(String, String, AliasReason)>,
    source: Url,
    aliases: HashMap<Url, Url>,
    queue: VecDeque<Url>,
    seen: HashSet<Url>,
    /// Same-site URLs found once the budget was spent, in the order found (at most
    /// [`MAX_LEFT_COUNTED`] kept).
    left: VecDeque<Url>,
    left_set: HashSet<Url>,
    budget: usize,
    /// URLs read that turned out to be aliases, which the budget does not count.
    aliased: usize,
    done: usize,
    /// How each URL queued was reached.
    reach: HashMap<Url, Reach>,
    /// The bounds and patterns the crawl keeps to.
    scope: Scope,
    /// URLs a rule left out, each once.
    ruled_out: HashSet<Url>,
    /// What was left out, by rule.
    pub(super) skipped: SkipSummary,
}

impl Frontier {
    /// A frontier for a site, knowing its stored aliases (alias URL, page URL).
    pub(super) fn new(
        source: Url,
        budget: usize,
        scope: Scope,
        aliases: Vec<(String, String)>,
    ) -> Self {
        let aliases = aliases
            .into_iter()
            .filter_map(|(alias, page)| Some((Url::parse(&alias).ok()?, Url::parse(&page).ok()?)))
            .collect();
        Self {
            confirmed: Vec::new(),
            pointers: Vec::new(),
            source: scope::page_url(&source),
            aliases,
            queue: VecDeque::new(),
            seen: HashSet::new(),
            left: VecDeque::new(),
            left_set: HashSet::new(),
            budget,
            aliased: 0,
            done: 0,
            reach: HashMap::new(),
            scope,
            ruled_out: HashSet::new(),
            skipped: SkipSummary::default(),
        }
    }

    /// Queues the same-site links a page read at `from` leads to, unless it asks `nofollow`.
    pub(super) fn follow(&mut self, from: &Url, document: &Document) {
        if document.robots.nofollow {
            self.skipped.add(SkipRule::Nofollow, from);
            return;
        }
        let links = document
            .navigation
            .iter()
            .chain(&document.links)
            .filter(|link| !link.external)
            .filter_map(|link| Url::parse(&link.url).ok());
        self.follow_urls(from, document.robots.noindex, links);
    }

    /// Queues links found on the page read at `from` (a `noindex` page's, or not).
    pub(super) fn follow_urls(
        &mut self,
        from: &Url,
        from_noindex: bool,
        links: impl IntoIterator<Item = Url>,
    ) {
        let reach = self.reach_of(from).next(from_noindex);
        for link in links {
            self.push_reached(link, reach);
        }
    }

    /// Queues a URL reached as `like` was (where it redirected).
    pub(super) fn push_like(&mut self, like: &Url, url: Url) {
        let reach = self.reach_of(like);
        self.push_reached(url, reach);
    }

    /// How a URL queued was reached (the start page's reach for one never queued).
    fn reach_of(&self, url: &Url) -> Reach {
        self.reach.get(url).copied().unwrap_or_default()
    }

    /// Queues a URL from the start (the start page, or one a sitemap lists).
    pub(super) fn push(&mut self, url: Url) {
        self.push_reached(url, Reach::default());
    }

    /// Queues a URL (its page's URL, if it is an alias) unless it is off the site, queued
    /// already, or left out by a rule of the crawl's scope (counted once).
    fn push_reached(&mut self, url: Url, reach: Reach) {
        let url = scope::page_url(&url);
        let url = self.aliases.get(&url).cloned().unwrap_or(url);
        if !same_site(&self.source, &url)
            || self.seen.contains(&url)
            || self.ruled_out.contains(&url)
        {
            return;
        }
        // The start page is read whatever the patterns say.
        let rule = (url != self.source)
            .then(|| self.scope.rule_for(&url, reach))
            .flatten();
        if let Some(rule) = rule {
            self.skipped.add(rule, &url);
            self.ruled_out.insert(url);
            return;
        }
        if self.seen.len() - self.aliased < self.budget {
            self.reach.insert(url.clone(), reach);
            self.seen.insert(url.clone());
            self.queue.push_back(url);
        } else if self.left.len() < MAX_LEFT_COUNTED && self.left_set.insert(url.clone()) {
            self.reach.insert(url.clone(), reach);
            self.left.push_back(url);
        }
    }

    /// A URL read turned out to be another address of a stored page: it does not count against
    /// the budget (the first URL left over for the budget takes its place), and is visited as
    /// that page from now on.
    pub(super) fn aliased(&mut self, alias: &Url, page: Url) {
        self.aliased += 1;
        self.aliases.insert(alias.clone(), page);
        if let Some(next) = self.left.pop_front() {
            self.left_set.remove(&next);
            let reach = self.reach_of(&next);
            self.push_reached(next, reach);
        }
    }

    /// URLs found but left unread for the budget (those robots.txt allows: the others would
    /// never be read).
    pub(super) fn left_unread(&self, robots: &Robots) -> usize {
        self.left.iter().filter(|url| robots.allowed(url)).count()
    }

    /// Up to `n` URLs robots.txt allows.
    pub(super) fn take(&mut self, n: usize, robots: &Robots) -> Vec<Url> {
        let mut batch = Vec::new();
        while batch.len() < n {
            let Some(url) = self.queue.pop_front() else {
                break;
            };
            if robots.allowed(&url) {
                batch.push(url);
            } else {
                tracing::info!(%url, "disallowed by robots.txt");
            }
        }
        self.done += batch.len();
        batch
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(super) fn done(&self) -> usize {
        self.done
    }

    pub(super) fn known(&self) -> usize {
        self.seen.len()
    }
}
