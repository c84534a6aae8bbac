//! Schema migrations for lmsdr. Every migration runs unchanged on SQLite and PostgreSQL.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261129_000001_create_sync_runs;
mod m20261129_000002_create_pages;
mod m20261129_000003_create_treatments;
mod m20261129_000004_create_drugs;
mod m20261129_000005_create_warnings_and_trials;
mod m20261129_000006_create_listing_page_index;
mod m20261202_000001_add_page_kinds_and_content;
mod m20261202_000002_create_drug_mentions;
mod m20261202_000003_create_link_targets;
mod m20261202_000004_create_search_documents;
mod m20261202_000005_add_revision_quarantine;
mod m20261202_000006_create_fact_versions;
mod m20261202_000007_add_run_broken_links;
mod m20261203_000001_create_change_events;
mod m20261203_000002_create_webhooks;
mod m20261206_000001_add_treatment_attributes;
mod m20261206_000002_add_revision_read_by;
mod m20261207_000001_create_page_aliases;
mod m20261207_000002_create_content_generation;
mod m20261207_000003_create_archive_captures;

/// The ordered list of lmsdr's migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_sync_runs::Migration),
            Box::new(m20261129_000002_create_pages::Migration),
            Box::new(m20261129_000003_create_treatments::Migration),
            Box::new(m20261129_000004_create_drugs::Migration),
            Box::new(m20261129_000005_create_warnings_and_trials::Migration),
            Box::new(m20261129_000006_create_listing_page_index::Migration),
            Box::new(m20261202_000001_add_page_kinds_and_content::Migration),
            Box::new(m20261202_000002_create_drug_mentions::Migration),
            Box::new(m20261202_000003_create_link_targets::Migration),
            Box::new(m20261202_000004_create_search_documents::Migration),
            Box::new(m20261202_000005_add_revision_quarantine::Migration),
            Box::new(m20261202_000006_create_fact_versions::Migration),
            Box::new(m20261202_000007_add_run_broken_links::Migration),
            Box::new(m20261203_000001_create_change_events::Migration),
            Box::new(m20261203_000002_create_webhooks::Migration),
            Box::new(m20261206_000001_add_treatment_attributes::Migration),
            Box::new(m20261206_000002_add_revision_read_by::Migration),
            Box::new(m20261207_000001_create_page_aliases::Migration),
            Box::new(m20261207_000002_create_content_generation::Migration),
            Box::new(m20261207_000003_create_archive_captures::Migration),
        ]
    }
}
