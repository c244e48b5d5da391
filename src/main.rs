//! The `loganon` binary: parse arguments, build the config, run, map errors to exit codes
//! (0 success, 1 I/O failure, 2 usage or rule error). Nothing but log lines goes to stdout.

use anyhow::Context;
use clap::Parser;
use loganon::cli::{Cli, Command, RulesCommand};
use loganon::config::{self, Config, ConfigError, Input};
use loganon::pipeline::{self, Ending};
use loganon::process::Stats;
use loganon::rules::examples;
use loganon::serve::ServeConfig;
use std::io::{self, Read};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Rules(RulesCommand::Test { files })) => rules_test(&files),
        Some(Command::Serve(args)) => serve(args),
        None => filter(cli.run),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let code = match err.downcast_ref::<ConfigError>() {
                Some(ConfigError::Io { .. }) => 1,
                Some(_) => 2,
                None => 1,
            };
            eprintln!("loganon: error: {err:#}");
            ExitCode::from(code)
        }
    }
}

fn open(inputs: &[Input]) -> anyhow::Result<Vec<Box<dyn Read + Send>>> {
    inputs
        .iter()
        .map(|input| -> anyhow::Result<Box<dyn Read + Send>> {
            Ok(match input {
                Input::Stdin => Box::new(io::stdin()),
                Input::File(p) => Box::new(
                    std::fs::File::open(p)
                        .map_err(|source| ConfigError::Io { path: p.display().to_string(), source })?,
                ),
            })
        })
        .collect()
}

fn filter(args: loganon::cli::RunArgs) -> anyhow::Result<ExitCode> {
    let config = Config::from_args(args)?;
    for w in &config.warnings {
        eprintln!("loganon: warning: {w}");
    }
    // Every input is opened before any output, so a typo in a path fails before a line is written.
    let sources = open(&config.inputs)?;
    let started = Instant::now();
    let clock = config.clock;
    let (ending, stats) =
        pipeline::run(&config.processor, sources, &mut io::stdout(), config.settings, &move || clock.now())
            .context("I/O failure")?;
    if stats.cut_lines > 0 {
        eprintln!(
            "loganon: warning: {} line(s) longer than --max-line {} bytes were cut; their tails were dropped unread",
            stats.cut_lines, config.settings.max_line
        );
    }
    if config.stats {
        print_stats(&config, &stats, started.elapsed().as_secs_f64(), &ending);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_stats(config: &Config, stats: &Stats, secs: f64, ending: &Ending) {
    let mb = stats.bytes_in as f64 / 1e6;
    eprintln!(
        "loganon: {} lines ({:.1} MB in, {:.1} MB out) in {:.3} s, {:.1} MB/s; {} JSON, {} cut{}",
        stats.lines,
        mb,
        stats.bytes_out as f64 / 1e6,
        secs,
        if secs > 0.0 { mb / secs } else { 0.0 },
        stats.json_lines,
        stats.cut_lines,
        if *ending == Ending::OutputClosed { "; output closed early" } else { "" }
    );
    let rules = config.processor.engine().rules();
    let per_rule: Vec<String> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{} {}", r.name, stats.redactions.per_rule.get(i).copied().unwrap_or(0)))
        .collect();
    eprintln!(
        "loganon: rewritten: {}; allow-listed {}; overlaps fused {}",
        per_rule.join(", "),
        stats.redactions.allowed,
        stats.redactions.fused
    );
}

/// `loganon serve`: runs until SIGTERM/SIGINT and the drain, then prints the counters.
fn serve(args: Box<loganon::cli::ServeArgs>) -> anyhow::Result<ExitCode> {
    let config = ServeConfig::from_args(*args)?;
    for w in &config.anon.warnings {
        eprintln!("loganon: warning: {w}");
    }
    let metrics = loganon::serve::run(config)?;
    eprintln!("loganon: {}", metrics.summary());
    Ok(ExitCode::SUCCESS)
}

fn rules_test(files: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    let set = config::load_rules(files)?;
    let report = examples::run(&set).map_err(ConfigError::Usage)?;
    for (origin, failures) in &report.failed {
        println!("FAIL {origin}");
        for f in failures {
            println!("  {f}");
        }
    }
    println!("{} passed, {} failed", report.passed, report.failed.len());
    Ok(if report.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
