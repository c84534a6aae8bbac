//! Prints the served GraphQL schema in SDL: `just schema` writes it to `api/schema.graphql`.

fn main() {
    print!("{}", lmsdr_api::graphql::sdl());
}
