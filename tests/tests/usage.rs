//! The command line used wrongly: a usage error has an exit code of its own (64, EX_USAGE), which
//! a scheduler can tell from a partial run (2); `--help` lists every code.

use lmsdr_tests::run;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_wrong_flag_or_value_exits_64_and_names_it() {
    for (args, named) in [
        (&["sync", "--max-pagez", "3"][..], "--max-pagez"),
        (&["sync", "--max-pages", "many"][..], "many"),
        (&["export", "--format", "yaml"][..], "yaml"),
        (&["frobnicate"][..], "frobnicate"),
    ] {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(64),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(named),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn help_lists_every_exit_code() {
    for args in [
        &["--help"][..],
        &["sync", "--help"][..],
        &["import", "--help"][..],
    ] {
        let output = run(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("Exit codes:"), "{args:?}: {help}");
        for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "64 "] {
            assert!(
                help.lines().any(|line| line.trim_start().starts_with(code)),
                "{args:?}: exit code {code}missing: {help}"
            );
        }
    }
}
