//! The stable key of each stored fact, as every output names it: GraphQL, the change feed,
//! webhooks and every export format.
//!
//! Categories, drugs, regimens, warnings and trial references are unique by slug within their
//! kind, so their slug is their key. A treatment's slug is unique only within its category, so
//! its key is `category/treatment` (`chemotherapy/pazopanib`).

use lmsdr_entity::{treatment_categories, treatments};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};

/// A treatment's key, from its category's slug and its own.
pub fn treatment_key(category: &str, treatment: &str) -> String {
    format!("{category}/{treatment}")
}

/// A treatment key's category slug and treatment slug; a bare slug has no category.
pub fn split_treatment_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once('/') {
        Some((category, treatment)) => (Some(category), treatment),
        None => (None, key),
    }
}

/// The keys of the treatments with these IDs (every treatment, with `None`), by ID.
pub async fn treatment_keys<C: ConnectionTrait>(
    db: &C,
    ids: Option<Vec<i32>>,
) -> Result<Vec<(i32, String)>, DbErr> {
    let mut query = treatments::Entity::find()
        .select_only()
        .column(treatments::Column::Id)
        .column(treatment_categories::Column::Slug)
        .column(treatments::Column::Slug)
        .join(
            JoinType::InnerJoin,
            treatments::Relation::TreatmentCategories.def(),
        );
    if let Some(ids) = ids {
        query = query.filter(treatments::Column::Id.is_in(ids));
    }
    let rows: Vec<(i32, String, String)> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, category, treatment)| (id, treatment_key(&category, &treatment)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_splits_back_into_the_slugs_it_was_made_of() {
        let key = treatment_key("chemotherapy", "pazopanib");
        assert_eq!(key, "chemotherapy/pazopanib");
        assert_eq!(
            split_treatment_key(&key),
            (Some("chemotherapy"), "pazopanib")
        );
        assert_eq!(split_treatment_key("pazopanib"), (None, "pazopanib"));
    }
}
