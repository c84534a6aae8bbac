//! Prometheus metrics at `/metrics`: HTTP requests and their latency by route, GraphQL operations
//! by name and errors by code, subscribers, the database pool, and — read from the database at
//! each scrape, so that runs by a separate `lmsdr sync` process or another replica count too —
//! sync runs by outcome, pages fetched, changed and quarantined, and webhook deliveries by outcome.
//!
//! The recorder is the `metrics` crate's, exported by `metrics-exporter-prometheus`; it is
//! installed once per process, when `serve` starts with metrics on (the default).

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use lmsdr_entity::{sync_runs, webhook_deliveries};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QuerySelect};

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Distinct GraphQL operation names kept as labels; later ones count as `other`.
const MAX_OPERATION_NAMES: usize = 100;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static OPERATION_NAMES: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
static KNOWN_OPERATIONS: OnceLock<HashSet<String>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). `None` when
/// another recorder is installed already.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .map_err(|err| tracing::warn!(error = %err, "metrics buckets refused"))
                .ok()?
                .install_recorder()
                .map_err(|err| tracing::warn!(error = %err, "cannot install the metrics recorder"))
                .ok()
        })
        .clone()
}

/// Records one GraphQL operation: its name (bounded: unnamed and unknown-past-the-limit names
/// count as `anonymous` and `other`), how long it took, and the code of each error.
pub fn record_operation(name: Option<&str>, took: Duration, error_codes: &[String]) {
    let operation = operation_label(name);
    metrics::counter!("lmsdr_graphql_operations_total", "operation" => operation.clone())
        .increment(1);
    metrics::histogram!("lmsdr_graphql_operation_duration_seconds", "operation" => operation)
        .record(took.as_secs_f64());
    for code in error_codes {
        metrics::counter!("lmsdr_graphql_errors_total", "code" => code.clone()).increment(1);
    }
}

/// Keeps only these operation names as labels, for the process's life (the first call wins);
/// every other name counts as `other`. Without it, the first [`MAX_OPERATION_NAMES`] names seen
/// are kept, and any client can fill them.
pub fn label_only(names: impl IntoIterator<Item = String>) {
    let names: HashSet<String> = names.into_iter().collect();
    if !names.is_empty() && KNOWN_OPERATIONS.set(names).is_err() {
        tracing::warn!("the operation names kept as metric labels were set already");
    }
}

fn operation_label(name: Option<&str>) -> String {
    label_among(name, KNOWN_OPERATIONS.get())
}

/// An operation's label: itself when known (or, with no names known, while fewer than the
/// limit are kept), `anonymous` without a name, `other` otherwise.
fn label_among(name: Option<&str>, known: Option<&HashSet<String>>) -> String {
    let Some(name) = name.filter(|n| {
        !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }) else {
        return if name.is_some() { "other" } else { "anonymous" }.to_owned();
    };
    if let Some(known) = known {
        return if known.contains(name) { name } else { "other" }.to_owned();
    }
    let names = OPERATION_NAMES.get_or_init(|| Mutex::new(HashSet::new()));
    let Ok(mut names) = names.lock() else {
        return "other".to_owned();
    };
    if names.contains(name) || names.len() < MAX_OPERATION_NAMES {
        names.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// A subscriber came or went.
pub fn subscribers(change: f64) {
    metrics::gauge!("lmsdr_subscribers").increment(change);
}

/// A webhook attempt by this process ended: `delivered`, `failed`, or `disabled` (the failure
/// that disabled its endpoint).
pub fn webhook_delivery(outcome: &'static str) {
    metrics::counter!("lmsdr_webhook_attempts_total", "outcome" => outcome).increment(1);
}

/// The Prometheus text format: what this process recorded, and the figures every process
/// shares read from the database now (a figure that cannot be read is left as last read).
pub async fn gather(db: &DatabaseConnection, handle: &PrometheusHandle) -> String {
    if let Err(err) = from_database(db).await {
        tracing::warn!(error = %err, "metrics: cannot read sync runs");
    }
    if let Err(err) = deliveries(db).await {
        tracing::warn!(error = %err, "metrics: cannot read webhook deliveries");
    }
    pool(db);
    handle.run_upkeep();
    handle.render()
}

/// One group of runs: kind, outcome, how many, and their pages fetched, changed, quarantined.
type RunGroup = (String, String, i64, Option<i64>, Option<i64>, Option<i64>);

/// Sync runs by kind and outcome, and pages, summed over every run any process recorded.
async fn from_database(db: &DatabaseConnection) -> Result<(), DbErr> {
    let rows: Vec<RunGroup> = sync_runs::Entity::find()
        .select_only()
        .column(sync_runs::Column::Kind)
        .column(sync_runs::Column::Status)
        .column_as(sync_runs::Column::Id.count(), "runs")
        .column_as(sum(sync_runs::Column::PagesFetched), "fetched")
        .column_as(sum(sync_runs::Column::PagesChanged), "changed")
        .column_as(sum(sync_runs::Column::PagesQuarantined), "quarantined")
        .group_by(sync_runs::Column::Kind)
        .group_by(sync_runs::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut totals = [0i64; 3];
    for (kind, status, runs, fetched, changed, quarantined) in rows {
        metrics::gauge!("lmsdr_sync_runs", "kind" => kind, "outcome" => status).set(runs as f64);
        for (total, value) in totals.iter_mut().zip([fetched, changed, quarantined]) {
            *total += value.unwrap_or(0);
        }
    }
    for (name, total) in [
        "lmsdr_pages_fetched",
        "lmsdr_pages_changed",
        "lmsdr_pages_quarantined",
    ]
    .into_iter()
    .zip(totals)
    {
        metrics::gauge!(name).set(total as f64);
    }
    Ok(())
}

/// Webhook deliveries by outcome, whichever replica made them: `delivered`, `pending` (not yet
/// tried) and `retrying` (failed, to be tried again).
async fn deliveries(db: &DatabaseConnection) -> Result<(), DbErr> {
    use webhook_deliveries::Column;
    let rows: Vec<(bool, bool, i64)> = webhook_deliveries::Entity::find()
        .select_only()
        .column_as(Column::DeliveredAt.is_not_null(), "delivered")
        .column_as(Column::Attempts.gt(0), "tried")
        .column_as(Column::Id.count(), "n")
        .group_by(Expr::col("delivered"))
        .group_by(Expr::col("tried"))
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = [("delivered", 0i64), ("pending", 0), ("retrying", 0)];
    for (delivered, tried, n) in rows {
        let slot = match (delivered, tried) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        };
        counts[slot].1 += n;
    }
    for (outcome, n) in counts {
        metrics::gauge!("lmsdr_webhook_deliveries", "outcome" => outcome).set(n as f64);
    }
    Ok(())
}

/// `SUM(column)` as a 64-bit integer on both databases.
fn sum(column: sync_runs::Column) -> sea_orm::sea_query::SimpleExpr {
    column.sum().cast_as("BIGINT")
}

/// The database pool: connections open and idle, and its maximum.
fn pool(db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    metrics::gauge!("lmsdr_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("lmsdr_db_pool_connections", "state" => "in_use")
        .set(f64::from(size) - idle as f64);
}

/// One SQL statement sent to the database (on every connection of the pool).
pub fn db_statement() {
    metrics::counter!("lmsdr_db_statements_total").increment(1);
}

/// A lookup in the response cache: found or not.
pub fn cache_lookup(hit: bool) {
    let name = if hit {
        "lmsdr_cache_hits_total"
    } else {
        "lmsdr_cache_misses_total"
    };
    metrics::counter!(name).increment(1);
}

/// An answer left the response cache to make room.
pub fn cache_eviction() {
    metrics::counter!("lmsdr_cache_evictions_total").increment(1);
}

/// Bytes the response cache holds.
pub fn cache_bytes(bytes: u64) {
    #[allow(clippy::cast_precision_loss, reason = "a gauge of bytes")]
    metrics::gauge!("lmsdr_cache_bytes").set(bytes as f64);
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{label_among, operation_label};

    #[test]
    fn with_known_names_junk_cannot_take_a_label() {
        let known: HashSet<String> = ["TreatmentsByCategory".to_owned()].into();
        for i in 0..200 {
            assert_eq!(
                label_among(Some(&format!("Junk{i}")), Some(&known)),
                "other"
            );
        }
        assert_eq!(
            label_among(Some("TreatmentsByCategory"), Some(&known)),
            "TreatmentsByCategory"
        );
        assert_eq!(label_among(None, Some(&known)), "anonymous");
    }

    #[test]
    fn operation_names_are_bounded_labels() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(
            operation_label(Some("TreatmentsByCategory")),
            "TreatmentsByCategory"
        );
        assert_eq!(operation_label(Some("drop table; --")), "other");
        assert_eq!(operation_label(Some(&"x".repeat(65))), "other");
        for i in 0..200 {
            operation_label(Some(&format!("Op{i}")));
        }
        assert_eq!(operation_label(Some("OneMoreAfterTheLimit")), "other");
        assert_eq!(
            operation_label(Some("TreatmentsByCategory")),
            "TreatmentsByCategory"
        );
    }
}
