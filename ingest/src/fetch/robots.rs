//! robots.txt per RFC 9309: a 4xx robots.txt allows everything; a 5xx or unreachable one means
//! nothing may be fetched.

use texting_robots::Robot;
use url::Url;

use super::{Fetcher, Validators};

/// The rules for one site.
pub struct Robots {
    robot: Option<Robot>,
}

impl std::fmt::Debug for Robots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Robots")
            .field("restricted", &self.robot.is_some())
            .finish()
    }
}

/// The User-Agent token robots.txt groups are matched against.
pub const AGENT_TOKEN: &str = "lmsdr";

impl Robots {
    /// Fetches and parses a site's robots.txt; `Err` when the site may not be crawled at all.
    pub async fn fetch(fetcher: &Fetcher, site: &Url) -> Result<Robots, String> {
        let url = site
            .join("/robots.txt")
            .map_err(|e| format!("robots.txt URL: {e}"))?;
        match fetcher.get(&url, &Validators::default()).await {
            Ok(fetched) if (200..300).contains(&fetched.status) => {
                let robot = Robot::new(AGENT_TOKEN, &fetched.body)
                    .map_err(|e| format!("robots.txt does not parse: {e}"))?;
                Ok(Robots { robot: Some(robot) })
            }
            Ok(fetched) if (400..500).contains(&fetched.status) => Ok(Robots::allow_all()),
            Ok(fetched) => Err(format!(
                "robots.txt answered HTTP {}: RFC 9309 forbids crawling",
                fetched.status
            )),
            Err(err) => Err(format!(
                "robots.txt unreachable ({err}): RFC 9309 forbids crawling"
            )),
        }
    }

    /// Rules that allow everything.
    pub fn allow_all() -> Robots {
        Robots { robot: None }
    }

    /// Whether a URL may be fetched.
    pub fn allowed(&self, url: &Url) -> bool {
        self.robot.as_ref().is_none_or(|r| r.allowed(url.as_str()))
    }

    /// Sitemaps the robots.txt names.
    pub fn sitemaps(&self) -> Vec<String> {
        self.robot
            .as_ref()
            .map(|r| r.sitemaps.clone())
            .unwrap_or_default()
    }

    /// The crawl delay it asks for, in seconds.
    pub fn crawl_delay(&self) -> Option<f32> {
        self.robot.as_ref().and_then(|r| r.delay)
    }
}
