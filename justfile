# lmsdr's map: each recipe is one thing the project does. `just --list` shows them.
# (`just` is optional: every recipe is a plain cargo command you can run yourself.)

db := env_var_or_default("DATABASE_URL", "sqlite://lmsdr.db?mode=rwc")
test_pg := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lmsdr_test")

# Serve the GraphQL API and Playground on http://127.0.0.1:8000
serve *ARGS:
    cargo run --release -- serve --database-url '{{db}}' {{ARGS}}

# Fetch the foundation's site and record what changed
sync *ARGS:
    cargo run --release -- sync --database-url '{{db}}' {{ARGS}}

# Import saved pages: just import path/to/pages
import +PATHS:
    cargo run --release -- import --database-url '{{db}}' {{PATHS}}

# Apply migrations (or: just migrate status)
migrate ACTION="up":
    cargo run --release -- migrate {{ACTION}} --database-url '{{db}}'

# The whole test suite on SQLite
test:
    cargo test --workspace

# The whole test suite on SQLite and PostgreSQL (creates the test database if needed)
test-pg:
    psql "{{test_pg}}" -c 'select 1' >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres lmsdr_test
    TEST_DATABASE_URL='{{test_pg}}' cargo test --workspace

# Speed and memory side by side: /healthz, the treatments query cached and uncached (SQLite),
# PostGraphile 4.14.1 and lmsdr over the same PostgreSQL data, under wrk; statements per query
# (10 s a run; LMSDR_BENCH_SECONDS to change; needs wrk, npm and PostgreSQL)
bench:
    cargo build --release --bin lmsdr
    cargo bench -p lmsdr-tests --bench compare

# Extraction against a bare HTML parse
bench-extract:
    cargo bench -p lmsdr-ingest --bench extract

# Sync benchmark: a generated 1,000- and 5,000-page site served locally
bench-sync:
    cargo bench -p lmsdr-ingest --bench sync

# Formatting and lints, as CI runs them (the schema lint needs npm)
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cd tests/schema-lint && npm ci --no-audit --no-fund --loglevel=error && npm run --silent lint

# The layering guard: each module imports only the layers below it (ARCHITECTURE.md)
layers:
    cargo test -p lmsdr-tests --test layers

# Check the drug vocabulary: unique names, well-formed codes, every code confirmed
vocabulary:
    cargo run --release -- vocabulary check

# Rewrite api/schema.graphql from the served schema
schema:
    cargo run -p lmsdr-api --example print_schema > api/schema.graphql

# Rebuild the Playground bundle (api/playground/dist) from its pinned packages
playground:
    cd api/playground && npm ci --no-audit --no-fund && npm run build

# Fuzz each target — the extractor, the WARC reader, URL normalization — for SECONDS each
# (cargo install cargo-fuzz; no sanitizer, so stable Rust works)
fuzz SECONDS="60":
    cd fuzz && for target in extract warc normalize_url; do cargo fuzz run --sanitizer none $target -- -max_total_time={{SECONDS}} || exit 1; done

# The CI script, locally
ci:
    bash .ci/run

# Export benchmark: every format of a generated 1,000-page site; time, bytes and peak memory
bench-export:
    cargo build --release --bin lmsdr
    cargo bench -p lmsdr-tests --bench export

# Soak: serve under 200 connections of the frontend's query mix while syncs run back to back
# (2 minutes; LMSDR_SOAK_SECONDS to change); prints requests, failures, latency and memory
soak:
    cargo build --release --bin lmsdr
    cargo bench -p lmsdr-tests --bench soak
