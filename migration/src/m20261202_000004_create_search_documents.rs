//! Full-text search: one document per page, treatment and drug, holding its words normalized by
//! lmsdr (lowercase, stop words dropped, stemmed), indexed by SQLite FTS5 or by a PostgreSQL GIN
//! index over `to_tsvector('simple', terms)`. lmsdr normalizes the words itself so that both
//! databases match the same documents for the same query.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, pk_auto, string_len, text};
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The FTS5 table over `search_documents.terms`, kept in step by triggers.
const SQLITE_FTS: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(terms, content='search_documents', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
];
const POSTGRES_INDEX: &str = "CREATE INDEX IF NOT EXISTS ix_search_documents_terms_tsv ON search_documents USING GIN (to_tsvector('simple', terms))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchDocuments::Table)
                    .if_not_exists()
                    .col(pk_auto(SearchDocuments::Id))
                    .col(string_len(SearchDocuments::Kind, 16))
                    .col(integer(SearchDocuments::RefId))
                    .col(text(SearchDocuments::Title))
                    .col(text(SearchDocuments::Body))
                    .col(text(SearchDocuments::Terms))
                    .col(integer(SearchDocuments::TermCount))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            SearchDocuments::Table,
            [SearchDocuments::Kind, SearchDocuments::RefId],
            true,
        )
        .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in SQLITE_FTS {
                    db.execute_unprepared(statement).await?;
                }
            }
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_INDEX).await?;
            }
            backend => {
                return Err(DbErr::Migration(format!(
                    "full-text search is not available on {backend:?}"
                )));
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            let db = manager.get_connection();
            for statement in [
                "DROP TRIGGER IF EXISTS search_documents_au",
                "DROP TRIGGER IF EXISTS search_documents_ad",
                "DROP TRIGGER IF EXISTS search_documents_ai",
                "DROP TABLE IF EXISTS search_fts",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        drop_tables(manager, [SearchDocuments::Table.into_iden()]).await
    }
}

#[derive(DeriveIden)]
enum SearchDocuments {
    Table,
    Id,
    Kind,
    RefId,
    Title,
    Body,
    Terms,
    TermCount,
}
