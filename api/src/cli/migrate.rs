//! `lmsdr migrate [up|down|status|fresh]`.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use lmsdr_entity::{pages, webhooks};
use lmsdr_ingest::db;
use lmsdr_migration::{MigrationStatus, Migrator, MigratorTrait, SchemaManager};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use super::{DatabaseArgs, UsageError, counted};

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// What to do: apply pending migrations, revert the last one, list them, or rebuild from empty.
    #[arg(value_enum, default_value_t = Action::Up)]
    action: Action,
    /// With `fresh`: delete the content a database holds without asking.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Action {
    /// Apply every pending migration.
    Up,
    /// Revert the most recent migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again, all or nothing; destroys the content
    /// (a database that holds any needs --yes).
    Fresh,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let conn = db::connect(&args.db.database_url).await?;
    match args.action {
        Action::Up => {
            let pending = Migrator::get_pending_migrations(&conn).await?.len();
            db::migrate(&conn).await?;
            println!("applied {pending} migration(s)");
        }
        Action::Down => {
            Migrator::down(&conn, Some(1))
                .await
                .context("reverting the last migration")?;
            println!("reverted the last migration");
        }
        Action::Status => {
            let migrations = Migrator::get_migration_with_status(&conn)
                .await
                .context("reading migration status")?;
            for migration in &migrations {
                let status = match migration.status() {
                    MigrationStatus::Applied => "applied",
                    MigrationStatus::Pending => "pending",
                };
                println!("{status:<8} {}", migration.name());
            }
        }
        Action::Fresh => {
            let held = content(&conn).await?;
            if !held.is_empty() && !args.yes {
                return Err(UsageError(format!(
                    "the database holds {}: `migrate fresh` deletes it all; pass --yes to go ahead",
                    held.join(" and ")
                ))
                .into());
            }
            db::rebuild(&args.db.database_url)
                .await
                .context("rebuilding the schema (the database is as it was)")?;
            println!("dropped all tables and applied every migration");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `fresh` would delete, e.g. `["3 pages"]`; empty for a database without content.
async fn content(conn: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let manager = SchemaManager::new(conn);
    let mut held = Vec::new();
    if manager.has_table("pages").await? {
        let count = pages::Entity::find().count(conn).await?;
        if count > 0 {
            held.push(counted(count, "page", "pages"));
        }
    }
    if manager.has_table("webhooks").await? {
        let count = webhooks::Entity::find().count(conn).await?;
        if count > 0 {
            held.push(counted(count, "webhook", "webhooks"));
        }
    }
    Ok(held)
}
