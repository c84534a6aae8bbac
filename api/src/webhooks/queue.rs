//! The delivery queue in the database: endpoints, the deliveries made for them from the change
//! outbox, and their claims and outcomes. Every step is one statement or one short transaction,
//! safe to run from several `serve` processes at once: deliveries are unique per event and
//! endpoint, and a delivery is claimed by one process at a time (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite has one writer at a time) for a lease longer than a delivery can take.

use chrono::{DateTime, Duration, Utc};
use lmsdr_entity::{change_events, webhook_deliveries, webhooks};
use sea_orm::sea_query::{Asterisk, Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use url::Url;
use uuid::Uuid;

use crate::feed::{self, latest_id};

/// The most endpoints a server keeps.
pub const MAX_WEBHOOKS: u64 = 100;
/// Events given deliveries per endpoint per round.
const FAN_OUT_BATCH: u64 = 500;
/// How long an endpoint may fail, without one success, before it is disabled.
pub const DISABLE_AFTER: Duration = Duration::hours(24);

/// Why an endpoint cannot be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// There are as many endpoints as allowed.
    #[error("there are already {MAX_WEBHOOKS} webhooks; remove one first")]
    TooMany,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Registers an endpoint. It is given every change committed from now on.
pub async fn register(
    db: &DatabaseConnection,
    url: &Url,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<webhooks::Model, RegisterError> {
    let txn = db.begin().await?;
    if webhooks::Entity::find().count(&txn).await? >= MAX_WEBHOOKS {
        return Err(RegisterError::TooMany);
    }
    let after = latest_id(&txn).await?;
    let model = webhooks::ActiveModel {
        url: Set(url.to_string()),
        secret: Set(secret.to_owned()),
        key: Set(Uuid::new_v4().to_string()),
        after_event_id: Set(after),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Removes an endpoint; its deliveries go with it (the foreign key cascades). `false` when there
/// was none.
pub async fn remove(db: &DatabaseConnection, id: i32) -> Result<bool, DbErr> {
    let removed = webhooks::Entity::delete_by_id(id).exec(db).await?;
    Ok(removed.rows_affected > 0)
}

/// Turns a disabled endpoint back on: its pending deliveries, and every change since, follow.
pub async fn enable(db: &DatabaseConnection, id: i32) -> Result<Option<webhooks::Model>, DbErr> {
    let Some(hook) = webhooks::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let mut active = hook.into_active_model();
    active.disabled_at = Set(None);
    active.disabled_reason = Set(None);
    active.failing_since = Set(None);
    active.update(db).await.map(Some)
}

/// Every endpoint, oldest first.
pub async fn all(db: &DatabaseConnection) -> Result<Vec<webhooks::Model>, DbErr> {
    webhooks::Entity::find()
        .order_by_asc(webhooks::Column::Id)
        .all(db)
        .await
}

/// Endpoints that are not disabled.
pub async fn active(db: &DatabaseConnection) -> Result<Vec<webhooks::Model>, DbErr> {
    webhooks::Entity::find()
        .filter(webhooks::Column::DisabledAt.is_null())
        .order_by_asc(webhooks::Column::Id)
        .all(db)
        .await
}

/// The delivery ID of an event for an endpoint: the same on every attempt and in every process,
/// unique per event and endpoint.
pub fn delivery_id(hook: &webhooks::Model, event_id: i32) -> String {
    let namespace = Uuid::parse_str(&hook.key).unwrap_or(Uuid::NAMESPACE_URL);
    Uuid::new_v5(&namespace, event_id.to_string().as_bytes()).to_string()
}

/// Makes deliveries for the events an active endpoint has not yet been given, and moves its
/// cursor past them. Returns how many were made.
pub async fn fan_out(
    db: &DatabaseConnection,
    hook: &webhooks::Model,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let events: Vec<i32> = feed::after(hook.after_event_id)
        .select_only()
        .column(change_events::Column::Id)
        .limit(FAN_OUT_BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let Some(&last) = events.last() else {
        return Ok(0);
    };
    let rows = events
        .iter()
        .map(|&event_id| webhook_deliveries::ActiveModel {
            webhook_id: Set(hook.id),
            event_id: Set(event_id),
            delivery_id: Set(delivery_id(hook, event_id)),
            attempts: Set(0),
            next_attempt_at: Set(now),
            created_at: Set(now),
            ..Default::default()
        });
    let txn = db.begin().await?;
    // Another replica may be making the same deliveries at this moment. A row has two unique
    // keys, (endpoint, event) and its delivery ID, so the conflict names no target: a clash on
    // either is skipped. With a target, PostgreSQL raises a clash on the other key (23505) when
    // two transactions insert the same row at once.
    webhook_deliveries::Entity::insert_many(rows)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    webhooks::Entity::update_many()
        .col_expr(webhooks::Column::AfterEventId, Expr::value(last))
        .filter(webhooks::Column::Id.eq(hook.id))
        .filter(webhooks::Column::AfterEventId.lt(last))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(events.len())
}

/// Claims up to `limit` of an endpoint's due deliveries for `lease`, counting the attempt.
/// A delivery claimed by another process, or delivered, is never returned.
pub async fn claim(
    db: &DatabaseConnection,
    webhook_id: i32,
    limit: u64,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<webhook_deliveries::Model>, DbErr> {
    use webhook_deliveries::Column;
    let due = Query::select()
        .column(Column::Id)
        .from(webhook_deliveries::Entity)
        .and_where(Column::WebhookId.eq(webhook_id))
        .and_where(Column::DeliveredAt.is_null())
        .and_where(Column::NextAttemptAt.lte(now))
        .and_where(
            Column::ClaimedUntil
                .is_null()
                .or(Column::ClaimedUntil.lt(now)),
        )
        .order_by(Column::Id, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let mut claimed = webhook_deliveries::Entity::update_many()
        .col_expr(Column::ClaimedUntil, Expr::value(now + lease))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    claimed.sort_by_key(|d| d.id);
    Ok(claimed)
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint answered 2xx.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// It answered otherwise, or not at all; the delivery is tried again at `retry_at`.
    Failed {
        /// Its status, when it answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// When to try again.
        retry_at: DateTime<Utc>,
    },
}

/// What recording an outcome did to the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointState {
    /// Still on.
    Active,
    /// Failing for longer than [`DISABLE_AFTER`]: disabled now.
    Disabled,
}

/// Records an attempt's outcome, if the claim is still this attempt's, and keeps the endpoint's
/// failure streak: a success ends it; one longer than a day disables the endpoint.
pub async fn record(
    db: &DatabaseConnection,
    delivery: &webhook_deliveries::Model,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<EndpointState, DbErr> {
    use webhook_deliveries::Column;
    let txn = db.begin().await?;
    let mut update = webhook_deliveries::Entity::update_many()
        .col_expr(
            Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::LastAttemptAt, Expr::value(now))
        .filter(Column::Id.eq(delivery.id))
        .filter(Column::Attempts.eq(delivery.attempts));
    update = match outcome {
        Outcome::Delivered { status } => update
            .col_expr(Column::DeliveredAt, Expr::value(now))
            .col_expr(Column::LastStatus, Expr::value(i32::from(*status)))
            .col_expr(Column::LastError, Expr::value(Option::<String>::None)),
        Outcome::Failed {
            status,
            error,
            retry_at,
        } => update
            .col_expr(Column::NextAttemptAt, Expr::value(*retry_at))
            .col_expr(Column::LastStatus, Expr::value(status.map(i32::from)))
            .col_expr(Column::LastError, Expr::value(error.clone())),
    };
    update.exec(&txn).await?;
    let state = match outcome {
        Outcome::Delivered { .. } => {
            webhooks::Entity::update_many()
                .col_expr(
                    webhooks::Column::FailingSince,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(webhooks::Column::Id.eq(delivery.webhook_id))
                .exec(&txn)
                .await?;
            EndpointState::Active
        }
        Outcome::Failed { error, .. } => failing(&txn, delivery.webhook_id, error, now).await?,
    };
    txn.commit().await?;
    Ok(state)
}

/// Extends an endpoint's failure streak, and disables it once the streak is a day long.
async fn failing<C: ConnectionTrait>(
    txn: &C,
    webhook_id: i32,
    error: &str,
    now: DateTime<Utc>,
) -> Result<EndpointState, DbErr> {
    let Some(hook) = webhooks::Entity::find_by_id(webhook_id).one(txn).await? else {
        return Ok(EndpointState::Active);
    };
    if hook.disabled_at.is_some() {
        return Ok(EndpointState::Active);
    }
    let since = hook.failing_since.unwrap_or(now);
    let mut active = hook.into_active_model();
    active.failing_since = Set(Some(since));
    let state = if now - since >= DISABLE_AFTER {
        active.disabled_at = Set(Some(now));
        active.disabled_reason = Set(Some(format!(
            "every delivery failed from {} to {}; the last: {error}",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )));
        EndpointState::Disabled
    } else {
        EndpointState::Active
    };
    active.update(txn).await?;
    Ok(state)
}

/// The most recent deliveries of each endpoint named, newest first (one query).
pub async fn recent(
    db: &DatabaseConnection,
    webhook_ids: &[i32],
    per_endpoint: u32,
) -> Result<Vec<webhook_deliveries::Model>, DbErr> {
    use webhook_deliveries::Column;
    let ranked = Query::select()
        .columns(Column::iter())
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY id DESC)"),
            "recency",
        )
        .from(webhook_deliveries::Entity)
        .and_where(Column::WebhookId.is_in(webhook_ids.iter().copied()))
        .to_owned();
    let newest = Query::select()
        .column(Asterisk)
        .from_subquery(ranked, "ranked")
        .and_where(Expr::col("recency").lte(per_endpoint))
        .order_by("webhook_id", sea_orm::Order::Asc)
        .order_by("id", sea_orm::Order::Desc)
        .to_owned();
    let statement = db.get_database_backend().build(&newest);
    webhook_deliveries::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await
}
