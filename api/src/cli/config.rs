//! `--config lmsdr.toml`: settings from a file, below flags and environment variables.
//!
//! A setting is an option that also has an environment variable; the file takes exactly those,
//! by their snake_case names: the options every subcommand shares at the top level
//! (`database_url`, `log_format`), the others in a table per subcommand (`[serve]`, `[sync]`).
//! A key lmsdr does not know is an error, in every table, so that a misspelt setting is never
//! silently ignored. Values are parsed by the same parsers as the flags. A flag given on the
//! command line wins over its environment variable, which wins over the file, which wins over the
//! default.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::{ContextKind, ContextValue};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, CommandFactory, FromArgMatches};

use super::{Cli, DatabaseArgs};

/// The argument that names the file.
pub const CONFIG_ARG: &str = "config";

/// Why the command line or its config file was refused.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line itself (also `--help` and `--version`, which clap prints and exits on).
    #[error(transparent)]
    Args(#[from] clap::Error),
    /// The config file.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// Parses the command line, filling in from `--config FILE` what neither a flag nor an
/// environment variable set. Without a subcommand, it is `serve`.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Cli, CliError> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let command = Cli::command();
    let mut matches = command.clone().try_get_matches_from(&args)?;
    if matches.subcommand_name().is_none() {
        args.push("serve".into());
        matches = command.clone().try_get_matches_from(&args)?;
    }
    if let Some(path) = matches.get_one::<PathBuf>(CONFIG_ARG).cloned() {
        let extra = from_file(&path, &command, &matches)?;
        // Flags from the file go before a `--`, after which everything is a path.
        let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
        args.splice(at..at, extra);
        matches = command
            .try_get_matches_from(&args)
            .map_err(|e| CliError::Config {
                path: path.clone(),
                message: with_valid_values(&e),
            })?;
    }
    Ok(Cli::from_arg_matches(&matches)?)
}

/// A clap message's first line, and the values it would take when it names them.
fn with_valid_values(err: &clap::Error) -> String {
    let mut message = first_line(&err.render().to_string());
    if let Some(ContextValue::Strings(valid)) = err.get(ContextKind::ValidValue) {
        message.push_str(&format!("; valid values: {}", valid.join(", ")));
    }
    message
}

/// A clap message's first line, without its `error: ` prefix (the rest is usage hints).
fn first_line(rendered: &str) -> String {
    let line = rendered.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

/// The flags the file adds for the settings the command line and the environment left unset.
fn from_file(
    path: &Path,
    command: &Command,
    matches: &ArgMatches,
) -> Result<Vec<OsString>, CliError> {
    let fail = |message: String| CliError::Config {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map(|span| {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            before.iter().filter(|&&b| b == b'\n').count() + 1
        });
        fail(match line {
            Some(line) => format!("line {line}: {}", e.message()),
            None => e.message().to_owned(),
        })
    })?;
    let shared = shared_settings(command);
    let (name, sub_matches) = matches
        .subcommand()
        .ok_or_else(|| fail("no subcommand".to_owned()))?;
    let mut flags = Vec::new();
    for (key, value) in &table {
        if let Some(arg) = shared.iter().find(|a| a.get_id() == key.as_str()) {
            let given = source(sub_matches, key).or_else(|| source(matches, key));
            if !is_set(given) {
                flags.extend(as_flags(arg, key, value).map_err(fail)?);
            }
            continue;
        }
        let Some(sub) = command.find_subcommand(key) else {
            return Err(fail(unknown(key, "at the top level", &names(&shared))));
        };
        let section = value
            .as_table()
            .ok_or_else(|| fail(format!("`{key}` must be a table: [{key}]")))?;
        let own = own_settings(sub, &shared);
        for (setting, value) in section {
            let arg = own
                .iter()
                .find(|a| a.get_id() == setting.as_str())
                .ok_or_else(|| fail(unknown(setting, &format!("in [{key}]"), &names(&own))))?;
            if key == name && !is_set(source(sub_matches, setting)) {
                flags.extend(as_flags(arg, setting, value).map_err(fail)?);
            }
        }
    }
    Ok(flags)
}

/// Where a setting's value came from, if the command has that setting at all.
fn source(matches: &ArgMatches, id: &str) -> Option<ValueSource> {
    matches.try_contains_id(id).ok()?;
    matches.value_source(id)
}

/// Whether a value came from the command line or the environment.
fn is_set(source: Option<ValueSource>) -> bool {
    matches!(
        source,
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// Settings every subcommand takes: the global ones with an environment variable.
fn shared_settings(command: &Command) -> Vec<Arg> {
    let database = DatabaseArgs::augment_args(Command::new("database"));
    command
        .get_arguments()
        .chain(database.get_arguments())
        .filter(|a| a.get_env().is_some() && a.get_id() != CONFIG_ARG)
        .cloned()
        .collect()
}

/// A subcommand's own settings: its options with an environment variable, not shared ones.
fn own_settings(sub: &Command, shared: &[Arg]) -> Vec<Arg> {
    sub.get_arguments()
        .filter(|a| a.get_env().is_some() && a.get_long().is_some())
        .filter(|a| !shared.iter().any(|s| s.get_id() == a.get_id()))
        .cloned()
        .collect()
}

fn names(args: &[Arg]) -> String {
    let mut names: Vec<&str> = args.iter().map(|a| a.get_id().as_str()).collect();
    names.sort_unstable();
    names.join(", ")
}

fn unknown(key: &str, place: &str, known: &str) -> String {
    if known.is_empty() {
        format!("unknown setting `{key}` {place}; it takes none")
    } else {
        format!("unknown setting `{key}` {place}; the settings there are: {known}")
    }
}

/// A setting's value as the flags that give it.
fn as_flags(arg: &Arg, key: &str, value: &toml::Value) -> Result<Vec<OsString>, String> {
    let long = arg
        .get_long()
        .ok_or_else(|| format!("`{key}` cannot be set in a file"))?;
    let scalar = |value: &toml::Value| -> Result<String, String> {
        match value {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            other => Err(format!(
                "`{key}` takes a string, a number or a boolean, not {}",
                other.type_str()
            )),
        }
    };
    match (arg.get_action(), value) {
        (ArgAction::SetTrue, toml::Value::Boolean(on)) => Ok(if *on {
            vec![format!("--{long}").into()]
        } else {
            vec![]
        }),
        (ArgAction::SetTrue, _) => Err(format!("`{key}` takes true or false")),
        (ArgAction::Append, toml::Value::Array(items)) => items
            .iter()
            .map(|item| Ok(format!("--{long}={}", scalar(item)?).into()))
            .collect(),
        (_, value) => Ok(vec![format!("--{long}={}", scalar(value)?).into()]),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn parse(config: &str, args: &[&str]) -> Result<String, String> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(config.as_bytes()).expect("write");
        let path = file.path().to_string_lossy().into_owned();
        let mut argv: Vec<OsString> = vec!["lmsdr".into(), "--config".into(), path.into()];
        argv.extend(args.iter().map(OsString::from));
        parse_from(argv)
            .map(|cli| format!("{cli:?}"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_file_fills_in_settings_and_flags_win() {
        let config = r#"
            database_url = "sqlite://from-file.db?mode=rwc"
            log_format = "json"
            [serve]
            bind = "0.0.0.0:9000"
            cors_origins = ["https://a.example", "https://b.example"]
            webhook_allow_private = true
            webhook_timeout = "3s"
            [sync]
            max_pages = 7
        "#;
        let serve = parse(config, &[]).expect("parses");
        assert!(serve.contains("bind: 0.0.0.0:9000"), "{serve}");
        assert!(
            serve.contains("\"https://a.example\", \"https://b.example\""),
            "{serve}"
        );
        assert!(serve.contains("webhook_allow_private: true"), "{serve}");
        assert!(serve.contains("webhook_timeout: 3s"), "{serve}");
        assert!(serve.contains("from-file.db"), "{serve}");
        assert!(serve.contains("log_format: Json"), "{serve}");

        let flagged = parse(config, &["serve", "--bind", "127.0.0.1:1234"]).expect("parses");
        assert!(flagged.contains("bind: 127.0.0.1:1234"), "{flagged}");
        let sync = parse(config, &["sync"]).expect("parses");
        assert!(sync.contains("max_pages: 7"), "{sync}");
        assert!(
            !sync.contains("9000"),
            "[serve] does not apply to sync: {sync}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_the_file_named() {
        let typo = parse("[serve]\nbnd = \"0.0.0.0:1\"\n", &[]).expect_err("refused");
        assert!(typo.contains("unknown setting `bnd` in [serve]"), "{typo}");
        assert!(
            typo.contains("bind"),
            "the known settings are listed: {typo}"
        );
        let top = parse("colour = true\n", &[]).expect_err("refused");
        assert!(
            top.contains("unknown setting `colour` at the top level"),
            "{top}"
        );
        let elsewhere = parse("[sync]\nbind = \"x\"\n", &["serve"]).expect_err("refused");
        assert!(
            elsewhere.contains("unknown setting `bind` in [sync]"),
            "{elsewhere}"
        );
        let not_a_setting = parse("[sync]\ndry_run = true\n", &["sync"]).expect_err("refused");
        assert!(not_a_setting.contains("`dry_run`"), "{not_a_setting}");
        let bad = parse("[serve]\nbind = \"nowhere\"\n", &[]).expect_err("refused");
        assert!(bad.contains("invalid value 'nowhere'"), "{bad}");
        let broken = parse("[serve\n", &[]).expect_err("refused");
        assert!(
            broken.starts_with(std::env::temp_dir().to_string_lossy().as_ref()),
            "{broken}"
        );
    }

    #[test]
    fn every_environment_variable_is_in_env_example_and_the_readme() {
        let example = include_str!("../../../.env.example");
        let readme = include_str!("../../../README.md");
        let command = Cli::command();
        let mut variables: Vec<String> = Vec::new();
        for sub in std::iter::once(&command).chain(command.get_subcommands()) {
            for arg in sub.get_arguments() {
                if let Some(env) = arg.get_env() {
                    variables.push(env.to_string_lossy().into_owned());
                }
            }
        }
        assert!(variables.len() >= 14, "{variables:?}");
        for variable in variables {
            assert!(
                example.lines().any(|l| l
                    .trim_start_matches("# ")
                    .starts_with(&format!("{variable}="))),
                "{variable} is missing from .env.example"
            );
            assert!(
                readme.contains(&format!("`{variable}`")),
                "{variable} is missing from the README"
            );
        }
    }
}
