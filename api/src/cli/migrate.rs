//! `lmsdr migrate [up|down|status|fresh]`.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use lmsdr_ingest::db;
use lmsdr_migration::{MigrationStatus, Migrator, MigratorTrait};

use super::DatabaseArgs;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// What to do: apply pending migrations, revert the last one, list them, or rebuild from empty.
    #[arg(value_enum, default_value_t = Action::Up)]
    action: Action,
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
    /// Drop every table and apply all migrations again (destroys data).
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
            Migrator::fresh(&conn)
                .await
                .context("rebuilding the schema")?;
            println!("dropped all tables and applied every migration");
        }
    }
    Ok(ExitCode::SUCCESS)
}
