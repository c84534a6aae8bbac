//! Attribute history: what a page stated about a fact, field by field, and over which moments —
//! a treatment's name and status, a category's description, a warning's text and population, a
//! drug's names and routes. Listing intervals say *which* facts were listed at a moment; versions
//! say what they were called and said then, so that `asOf` answers with both.
//!
//! Each field has versions `[valid_from, valid_until)`; a revision that states a different value
//! closes the open version and opens a new one at its capture time. A capture in the past splits
//! the version covering its moment, up to the page's next accepted capture.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::FactKind;
use lmsdr_entity::{
    drug_mentions, drug_relations, drugs, fact_versions, links, regimen_drugs, regimens,
    treatment_categories, treatment_drugs, treatments, trial_references, warnings,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use super::listing::At;

/// One field's value as a page stated it.
pub type Field = (&'static str, Value);

/// A fact whose fields a page states, beyond what identifies it.
pub trait Stated {
    /// The kind of fact.
    const KIND: FactKind;
    /// Its ID.
    fn fact_id(&self) -> i32;
    /// When it was first listed.
    fn first_listed_at(&self) -> DateTime<Utc>;
    /// The fields the page states, as stored now.
    fn stated(&self) -> Vec<Field>;
    /// Sets a field to a value it had at another moment; a field it does not know, or a value
    /// that does not read, leaves the field as it is.
    fn restate(&mut self, field: &str, value: &Value);
}

/// Reads a stored value back, or keeps what is there.
fn read<T: serde::de::DeserializeOwned>(target: &mut T, value: &Value) {
    if let Ok(read) = serde_json::from_value(value.clone()) {
        *target = read;
    }
}

macro_rules! stated {
    ($module:ident, $kind:ident $(, $field:ident)*) => {
        impl Stated for $module::Model {
            const KIND: FactKind = FactKind::$kind;
            fn fact_id(&self) -> i32 {
                self.id
            }
            fn first_listed_at(&self) -> DateTime<Utc> {
                self.first_listed_at
            }
            fn stated(&self) -> Vec<Field> {
                vec![$((stringify!($field), json!(self.$field))),*]
            }
            #[allow(unused_variables, reason = "facts with no stated fields ignore both")]
            fn restate(&mut self, field: &str, value: &Value) {
                match field {
                    $(stringify!($field) => read(&mut self.$field, value),)*
                    _ => {}
                }
            }
        }
    };
}

stated!(
    treatments,
    Treatment,
    name,
    status,
    first_line,
    approval,
    trial_phase
);
stated!(treatment_categories, Category, name, description, scope);
stated!(warnings, Warning, kind, text, population);
stated!(drugs, Drug, generic_name, drug_class, in_trial);
stated!(regimens, Regimen, name, components, first_line);
stated!(treatment_drugs, TreatmentDrug, route, name_as_written);
stated!(regimen_drugs, RegimenDrug, name_as_written);
stated!(trial_references, TrialReference, label, code);
stated!(drug_relations, DrugRelation);
stated!(links, Link);
stated!(drug_mentions, DrugMention);

/// Records what the page's newest revision states of a fact: a field whose value changed gets a
/// new version from `at`. `before` is what the stored row held (none for a fact first listed
/// now): a fact stored before versions were kept gets its earlier value from when it was first
/// listed.
pub async fn record_newest<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    fact: (i32, DateTime<Utc>),
    before: Option<&[Field]>,
    after: &[Field],
    at: At,
) -> Result<(), DbErr> {
    if after.is_empty() {
        return Ok(());
    }
    let (fact_id, first_listed_at) = fact;
    let open: HashMap<String, fact_versions::Model> = versions(db, kind, fact_id)
        .await?
        .into_iter()
        .filter(|v| v.valid_until.is_none())
        .map(|v| (v.field.clone(), v))
        .collect();
    for (field, value) in after {
        let start = match open.get(*field) {
            Some(version) if &version.value == value => continue,
            Some(version) => {
                close(db, version, at.time).await?;
                at.time
            }
            None => match before.and_then(|b| b.iter().find(|(f, _)| f == field)) {
                Some((_, earlier)) if earlier != value && first_listed_at < at.time => {
                    insert(
                        db,
                        kind,
                        fact_id,
                        field,
                        earlier,
                        (first_listed_at, Some(at.time)),
                        at.revision_id,
                    )
                    .await?;
                    at.time
                }
                Some(_) => first_listed_at.min(at.time),
                None => at.time,
            },
        };
        insert(
            db,
            kind,
            fact_id,
            field,
            value,
            (start, None),
            at.revision_id,
        )
        .await?;
    }
    Ok(())
}

/// Records what a capture in the past states of a fact, over `[at, next)`: the version covering
/// its moment is split, and what held from `next` on is kept.
pub async fn record_past<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    fact_id: i32,
    stated: &[Field],
    at: At,
    next: At,
) -> Result<(), DbErr> {
    if stated.is_empty() {
        return Ok(());
    }
    let all = versions(db, kind, fact_id).await?;
    for (field, value) in stated {
        let of_field: Vec<&fact_versions::Model> =
            all.iter().filter(|v| v.field == *field).collect();
        let covering = of_field
            .iter()
            .find(|v| v.valid_from <= at.time && v.valid_until.is_none_or(|until| until > at.time));
        match covering {
            Some(version) if &version.value == value => {}
            Some(version) => {
                let until = version.valid_until;
                close(db, version, at.time).await?;
                let end = until.map_or(next.time, |u| u.min(next.time));
                insert(
                    db,
                    kind,
                    fact_id,
                    field,
                    value,
                    (at.time, Some(end)),
                    at.revision_id,
                )
                .await?;
                if until.is_none_or(|u| u > next.time) {
                    let kept = (next.time, until);
                    insert(
                        db,
                        kind,
                        fact_id,
                        field,
                        &version.value,
                        kept,
                        next.revision_id,
                    )
                    .await?;
                }
            }
            None => {
                let later = of_field
                    .iter()
                    .filter(|v| v.valid_from > at.time)
                    .min_by_key(|v| v.valid_from);
                match later {
                    // The same value from the next capture on: it held from this one already.
                    Some(later) if later.valid_from <= next.time && &later.value == value => {
                        let mut row = (*later).clone().into_active_model();
                        row.valid_from = Set(at.time);
                        row.revision_id = Set(at.revision_id);
                        row.update(db).await?;
                    }
                    _ => {
                        let end = later.map_or(next.time, |l| l.valid_from.min(next.time));
                        insert(
                            db,
                            kind,
                            fact_id,
                            field,
                            value,
                            (at.time, Some(end)),
                            at.revision_id,
                        )
                        .await?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The values facts of a kind had at a moment, by fact and field.
pub async fn at_moment<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    fact_ids: &[i32],
    moment: DateTime<Utc>,
) -> Result<HashMap<i32, HashMap<String, Value>>, DbErr> {
    let mut by_fact: HashMap<i32, HashMap<String, Value>> = HashMap::new();
    if fact_ids.is_empty() {
        return Ok(by_fact);
    }
    let rows = fact_versions::Entity::find()
        .filter(fact_versions::Column::FactKind.eq(kind))
        .filter(fact_versions::Column::FactId.is_in(fact_ids.to_vec()))
        .filter(fact_versions::Column::ValidFrom.lte(moment))
        .filter(
            Condition::any()
                .add(fact_versions::Column::ValidUntil.is_null())
                .add(fact_versions::Column::ValidUntil.gt(moment)),
        )
        .all(db)
        .await?;
    for row in rows {
        by_fact
            .entry(row.fact_id)
            .or_default()
            .insert(row.field, row.value);
    }
    Ok(by_fact)
}

/// Sets each row's stated fields to what they were at a moment; a fact with no version then
/// keeps its stored fields. Returns every value found, by fact, for fields kept elsewhere (a
/// drug's names and routes).
pub async fn overlay<'r, C: ConnectionTrait, M: Stated + 'r>(
    db: &C,
    rows: impl IntoIterator<Item = &'r mut M>,
    moment: DateTime<Utc>,
) -> Result<HashMap<i32, HashMap<String, Value>>, DbErr> {
    let mut rows: Vec<&mut M> = rows.into_iter().collect();
    let ids: Vec<i32> = rows.iter().map(|row| row.fact_id()).collect();
    let then = at_moment(db, M::KIND, &ids, moment).await?;
    for row in &mut rows {
        if let Some(fields) = then.get(&row.fact_id()) {
            for (field, value) in fields {
                row.restate(field, value);
            }
        }
    }
    Ok(then)
}

async fn versions<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    fact_id: i32,
) -> Result<Vec<fact_versions::Model>, DbErr> {
    fact_versions::Entity::find()
        .filter(fact_versions::Column::FactKind.eq(kind))
        .filter(fact_versions::Column::FactId.eq(fact_id))
        .order_by_asc(fact_versions::Column::ValidFrom)
        .all(db)
        .await
}

async fn close<C: ConnectionTrait>(
    db: &C,
    version: &fact_versions::Model,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut row = version.clone().into_active_model();
    row.valid_until = Set(Some(at));
    row.update(db).await?;
    Ok(())
}

async fn insert<C: ConnectionTrait>(
    db: &C,
    kind: FactKind,
    fact_id: i32,
    field: &str,
    value: &Value,
    (valid_from, valid_until): (DateTime<Utc>, Option<DateTime<Utc>>),
    revision_id: i32,
) -> Result<(), DbErr> {
    fact_versions::ActiveModel {
        fact_kind: Set(kind),
        fact_id: Set(fact_id),
        field: Set(field.to_owned()),
        value: Set(value.clone()),
        valid_from: Set(valid_from),
        valid_until: Set(valid_until),
        revision_id: Set(revision_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
