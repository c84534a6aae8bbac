//! Ranking and snippets are CPU work: they run on tokio's blocking threads, at most as many at
//! once as the machine has cores, so that searches queue behind each other instead of holding
//! the async workers that answer every other request.

use std::num::NonZero;
use std::sync::LazyLock;

use sea_orm::DbErr;
use tokio::sync::Semaphore;

/// One permit per core.
static CORES: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, NonZero::get)));

/// Runs `work` off the async workers once a core is free, and returns what it returns.
pub(super) async fn run<T, F>(work: F) -> Result<T, DbErr>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let _core = CORES
        .acquire()
        .await
        .map_err(|_| DbErr::Custom("search is shutting down".to_owned()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| DbErr::Custom(format!("a search stopped: {err}")))
}
