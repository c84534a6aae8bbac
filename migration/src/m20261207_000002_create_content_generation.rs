//! The content generation: one counter the database itself moves in every transaction that
//! changes what a read can see, whichever process writes (a sync, an import, a review, another
//! replica). A
//! cached answer is keyed by it, so reading it is how any process learns that its cache is out
//! of date. Webhook tables (read by admins only, never cached) and the run lease (renewed while
//! a run goes) leave it alone.
//!
//! SQLite: a trigger per table and statement kind, each row written moving the counter.
//! PostgreSQL: one statement-level trigger per table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The tables whose writes move the generation. Every transaction that changes what a read can
/// see writes one of them: a page's facts change only in the transaction that stores or reviews
/// one of its revisions (which writes `pages` or `page_revisions`), runs write `sync_runs` and
/// `sync_errors`, and the rest is written on its own. Fact tables carry no trigger of their
/// own, which keeps the write a page's transaction makes for the generation to a few rows.
const TABLES: &[&str] = &[
    "pages",
    "page_revisions",
    "page_aliases",
    "link_targets",
    "change_events",
    "sync_runs",
    "sync_errors",
];

const BUMP: &str = "UPDATE content_generation SET generation = generation + 1 WHERE id = 1";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE content_generation (id integer PRIMARY KEY NOT NULL, generation bigint NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO content_generation (id, generation) VALUES (1, 0)")
            .await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for table in TABLES {
                    for event in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER content_generation_{table}_{event} AFTER {event} ON {table} BEGIN {BUMP}; END"
                        ))
                        .await?;
                    }
                }
            }
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION bump_content_generation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
                ))
                .await?;
                for table in TABLES {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER content_generation_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_content_generation()"
                    ))
                    .await?;
                }
            }
            backend => {
                return Err(DbErr::Migration(format!(
                    "the content generation is not available on {backend:?}"
                )));
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for table in TABLES {
                    for event in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS content_generation_{table}_{event}"
                        ))
                        .await?;
                    }
                }
            }
            _ => {
                for table in TABLES {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS content_generation_{table} ON {table}"
                    ))
                    .await?;
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS bump_content_generation()")
                    .await?;
            }
        }
        db.execute_unprepared("DROP TABLE IF EXISTS content_generation")
            .await?;
        Ok(())
    }
}
