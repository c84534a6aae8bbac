//! Building blocks shared by the migrations: listing-interval columns, foreign keys, indexes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{timestamp_with_time_zone, timestamp_with_time_zone_null};

/// Columns every listed fact carries: when it was first and last seen on the site, and when it left.
#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names, reason = "variants are column names")]
pub enum Listing {
    FirstListedAt,
    LastListedAt,
    DelistedAt,
}

/// Adds the listing-interval columns to a table under construction.
pub fn with_listing(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Listing::FirstListedAt))
        .col(timestamp_with_time_zone(Listing::LastListedAt))
        .col(timestamp_with_time_zone_null(Listing::DelistedAt))
}

/// A foreign key that refuses to delete the row it points at: history is never deleted.
pub fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    let (from_table, from_col) = (from_table.into_iden(), from_col.into_iden());
    ForeignKey::create()
        .name(format!("fk_{}_{}", from_table, from_col))
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Creates an index named after its table and columns.
pub async fn index<C: IntoIden>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    cols: impl IntoIterator<Item = C>,
    unique: bool,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    let mut name = format!("{}_{}", if unique { "uq" } else { "ix" }, table);
    let mut stmt = Index::create();
    stmt.table(table).if_not_exists();
    for col in cols {
        let col = col.into_iden();
        name.push('_');
        name.push_str(&col.to_string());
        stmt.col(col);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt.name(name).to_owned()).await
}

/// Drops tables in the order given (dependents first).
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = DynIden>,
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(table).if_exists().to_owned())
            .await?;
    }
    Ok(())
}

/// Adds one column to an existing table (SQLite takes one column per `ALTER TABLE`).
pub async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

/// Drops one column of an existing table.
pub async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}
