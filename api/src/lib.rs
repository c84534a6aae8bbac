//! The lmsdr service: its command line, the GraphQL API and the HTTP server around it.

pub mod cli;
pub mod export;
pub mod feed;
pub mod graphql;
pub mod ids;
pub mod jobs;
pub mod metrics;
pub mod server;
pub mod telemetry;
pub mod webhooks;
