//! Writing search documents, in the caller's transaction.

use lmsdr_entity::search_documents;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
};

use super::DocKind;
use super::terms::terms;

/// Writes (or rewrites) the search document of one page, treatment or drug.
pub async fn put<C: ConnectionTrait>(
    db: &C,
    kind: DocKind,
    ref_id: i32,
    title: &str,
    body: &str,
) -> Result<(), DbErr> {
    let mut words = terms(title);
    words.extend(terms(body));
    let existing = search_documents::Entity::find()
        .filter(search_documents::Column::Kind.eq(kind.as_str()))
        .filter(search_documents::Column::RefId.eq(ref_id))
        .one(db)
        .await?;
    let joined = words.join(" ");
    if let Some(doc) = &existing
        && doc.title == title
        && doc.body == body
        && doc.terms == joined
    {
        return Ok(());
    }
    let mut row = existing.map_or_else(
        || search_documents::ActiveModel {
            kind: Set(kind.as_str().to_owned()),
            ref_id: Set(ref_id),
            ..Default::default()
        },
        IntoActiveModel::into_active_model,
    );
    let is_new = row.id.is_not_set();
    row.title = Set(title.to_owned());
    row.body = Set(body.to_owned());
    row.term_count = Set(i32::try_from(words.len()).unwrap_or(i32::MAX));
    row.terms = Set(joined);
    if is_new {
        row.insert(db).await?;
    } else {
        row.update(db).await?;
    }
    Ok(())
}
