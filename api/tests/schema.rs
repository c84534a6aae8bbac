//! The checked-in API contract, `api/schema.graphql`, must match the served schema.

#[test]
fn the_checked_in_schema_matches_the_served_one() {
    let served = lmsdr_api::graphql::sdl();
    let checked_in = include_str!("../schema.graphql");
    if served != checked_in {
        let diff = similar::TextDiff::from_lines(checked_in, &served)
            .unified_diff()
            .header("api/schema.graphql", "served")
            .to_string();
        panic!("the GraphQL schema drifted from api/schema.graphql; run `just schema`:\n{diff}");
    }
}
