//! The `loganon` binary: parse arguments, build the config, run, map errors to exit codes
//! (0 success, 1 I/O failure, 2 usage or rule error). Nothing but log lines goes to stdout.

use anyhow::Context;
use clap::Parser;
use loganon::bench;
use loganon::cli::{BenchArgs, Cli, Command, DiffArgs, RulesCommand};
use loganon::config::{self, Config, ConfigError, Input};
use loganon::pipeline::{self, Ending, Sinks};
use loganon::pipes;
use loganon::process::Processor;
use loganon::process::Stats;
use loganon::progress::{self, Reporter};
use loganon::report::ReportWriter;
use loganon::rules::{check, examples};
use loganon::serve::ServeConfig;
use loganon::shutdown::Shutdown;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Rules(RulesCommand::Test { files, merged })) => rules_test(&files, merged),
        Some(Command::Rules(RulesCommand::Check { files })) => rules_check(&files),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Diff(args)) => diff(args),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Man(args)) => man(args),
        Some(Command::Completions { shell }) => emit_bytes(&loganon::manual::completions(shell)),
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

/// Opens every input; standard input as a duplicate of its descriptor, unbuffered, so that
/// `shutdown` can poll it knowing no bytes wait in a buffer of std's.
fn open_files(inputs: &[Input]) -> anyhow::Result<Vec<std::fs::File>> {
    inputs
        .iter()
        .map(|input| -> anyhow::Result<std::fs::File> {
            Ok(match input {
                Input::Stdin => {
                    std::fs::File::from(io::stdin().as_fd().try_clone_to_owned().context("standard input")?)
                }
                Input::File(p) => std::fs::File::open(p)
                    .map_err(|source| ConfigError::Io { path: p.display().to_string(), source })?,
            })
        })
        .collect()
}

fn open(inputs: &[Input]) -> anyhow::Result<Vec<Box<dyn Read + Send>>> {
    Ok(open_files(inputs)?.into_iter().map(|f| Box::new(f) as Box<dyn Read + Send>).collect())
}

fn filter(args: loganon::cli::RunArgs) -> anyhow::Result<ExitCode> {
    // From here on SIGTERM/SIGINT end the input instead of the process (see `shutdown`). First of
    // all: a server that starts a piped logger and stops at once (Apache's graceful restart) may
    // signal it while the rules are still compiling, and the lines it wrote must not be lost.
    let stop = Shutdown::install(args.anon.max_line.max(1)).context("installing signal handlers")?;
    let config = Config::from_args(args)?;
    for w in &config.warnings {
        eprintln!("loganon: warning: {w}");
    }
    // Every input is opened before any output, so a typo in a path fails before a line is written.
    let files = open_files(&config.inputs)?;
    if config.inputs.contains(&Input::Stdin) {
        pipes::widen(io::stdin());
    }
    if !config.dry_run {
        pipes::widen(io::stdout());
    }
    let reporter = config.progress.map(|every| Reporter::start(every, progress::total_size(&files)));
    let sources = files
        .into_iter()
        .map(|f| match &reporter {
            Some(r) => Box::new(r.count(stop.guard(f))) as Box<dyn Read + Send>,
            None => Box::new(stop.guard(f)),
        })
        .collect();
    let report = match &config.report {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|source| ConfigError::Io { path: path.display().to_string(), source })?;
            Some(ReportWriter::new(Box::new(io::BufWriter::new(file)), &config.processor))
        }
        None => None,
    };
    let (mut stdout, mut nothing) = (io::stdout(), io::sink());
    let out: &mut (dyn Write + Send) = if config.dry_run { &mut nothing } else { &mut stdout };
    let started = Instant::now();
    let clock = config.clock;
    let sinks = Sinks { out, report };
    let (ending, stats) = pipeline::run(&config.processor, sources, sinks, config.settings, &move || clock.now())
        .context("I/O failure")?;
    if let Some(reporter) = reporter {
        reporter.finish();
    }
    let unfinished = u64::from(stop.cut_unfinished());
    if stats.cut_lines > unfinished {
        eprintln!(
            "loganon: warning: {} line(s) longer than --max-line {} bytes were cut; their tails were dropped unread",
            stats.cut_lines - unfinished,
            config.settings.max_line
        );
    }
    if unfinished > 0 {
        eprintln!("loganon: warning: stopped by a signal in the middle of a line; it was written cut");
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
    let by_category = config.processor.engine().by_category(&stats.redactions.per_rule);
    let by_category: Vec<String> = by_category.iter().map(|(c, n)| format!("{c} {n}")).collect();
    eprintln!(
        "loganon: rewritten by rule: {}; by category: {}; allow-listed {}; overlaps fused {}",
        per_rule.join(", "),
        by_category.join(", "),
        stats.redactions.allowed,
        stats.redactions.fused
    );
}

fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let (runs, json) = (args.runs.max(1), args.json);
    let config = Config::from_args(args.run)?;
    let mut corpus = Vec::new();
    for mut src in open(&config.inputs)? {
        src.read_to_end(&mut corpus).context("reading the corpus")?;
    }
    if !corpus.is_empty() && !corpus.ends_with(b"\n") {
        corpus.push(b'\n');
    }
    let setup = bench::Setup {
        ruleset: &config.ruleset,
        ip_mode: config.ip_mode,
        keyed: config.keyed.clone(),
        options: config.options,
        now: config.clock.now(),
    };
    // A progress bar on a terminal once the run has taken more than a second.
    let (total, started, mut done) = (bench::passes(&setup, runs), Instant::now(), 0);
    let show = io::stderr().is_terminal();
    let mut progress = || {
        done += 1;
        if show && started.elapsed().as_secs_f64() > 1.0 {
            let filled = done * 30 / total;
            eprint!("\rbench [{}{}] {done}/{total} passes", "#".repeat(filled), " ".repeat(30 - filled));
        }
    };
    let report = bench::run(&setup, &corpus, runs, &mut progress).map_err(ConfigError::Usage)?;
    if show && started.elapsed().as_secs_f64() > 1.0 {
        eprintln!();
    }
    let mb = report.bytes as f64 / 1e6;
    let rate = |secs: f64| (mb / secs, report.lines as f64 / secs);
    let (lo, med, hi) = (rate(report.timing.max()), rate(report.timing.median()), rate(report.timing.min()));
    let text = if json {
        let rules: Vec<String> = report
            .rules
            .iter()
            .map(|r| {
                format!(
                    "{{\"name\":\"{}\",\"matches\":{},\"rejected\":{},\"share\":{:.4}}}",
                    r.name, r.matches, r.rejected, r.share
                )
            })
            .collect();
        format!(
            "{{\"bytes\":{},\"lines\":{},\"runs\":{runs},\"mb_per_s\":{{\"min\":{:.1},\"median\":{:.1},\"max\":{:.1}}},\"lines_per_s\":{{\"min\":{:.0},\"median\":{:.0},\"max\":{:.0}}},\"rules\":[{}]}}\n",
            report.bytes,
            report.lines,
            lo.0,
            med.0,
            hi.0,
            lo.1,
            med.1,
            hi.1,
            rules.join(",")
        )
    } else {
        let mut t = format!(
            "corpus: {} lines, {:.1} MB; {runs} timed runs on one thread\nthroughput: {:.1} / {:.1} / {:.1} MB/s (min / median / max); {:.0} / {:.0} / {:.0} lines/s\n",
            report.lines, mb, lo.0, med.0, hi.0, lo.1, med.1, hi.1
        );
        t += &format!("{:<20} {:>10} {:>10} {:>8}\n", "rule (slowest first)", "matches", "rejected", "time");
        for r in &report.rules {
            t += &format!("{:<20} {:>10} {:>10} {:>7.1}%\n", r.name, r.matches, r.rejected, r.share * 100.0);
        }
        t
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = Config::from_args(args.run)?;
    let new_rules = config::load_rules(&args.rules_new)?;
    let engine = new_rules.engine(old.ip_mode, old.keyed.clone()).map_err(ConfigError::Usage)?;
    let new = Processor::new(engine, &new_rules.retention, old.options);
    let sources = open(&old.inputs)?;
    let mut stdout = io::stdout().lock();
    let result = loganon::diff::run(&old.processor, &new, sources, old.settings.max_line, old.clock.now(), &mut stdout);
    let summary = match result {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::from(1)),
        Err(e) => return Err(e).context("I/O failure"),
    };
    eprintln!("loganon: {} of {} line(s) differ", summary.differing, summary.lines);
    Ok(if summary.differing == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Writes a subcommand's report to stdout; a reader that went away (`| head`) ends it quietly.
fn emit(text: &str) -> anyhow::Result<()> {
    emit_bytes(text.as_bytes()).map(|_| ())
}

fn emit_bytes(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `loganon man`: one page to stdout, or every page into `--dir`.
fn man(args: loganon::cli::ManArgs) -> anyhow::Result<ExitCode> {
    match args.dir {
        Some(dir) => {
            loganon::manual::write_pages(&dir)
                .map_err(|source| ConfigError::Io { path: dir.display().to_string(), source })?;
            Ok(ExitCode::SUCCESS)
        }
        None => emit_bytes(&loganon::manual::page(&args.command).map_err(ConfigError::Usage)?),
    }
}

fn rules_check(files: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    let set = config::load_rules(files)?;
    let mut text = check::describe(&set);
    let warnings = check::warnings(&set);
    for w in &warnings {
        text += &format!("warning: {}: {}\n", w.origin, w.message);
    }
    text += &format!("{} warning(s)\n", warnings.len());
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
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

fn rules_test(files: &[std::path::PathBuf], merged: bool) -> anyhow::Result<ExitCode> {
    // Each file alone (a policy pack, the default rules), unless asked to merge them.
    let groups: Vec<&[std::path::PathBuf]> =
        if merged || files.len() <= 1 { vec![files] } else { files.chunks(1).collect() };
    let mut text = String::new();
    let mut failed = false;
    for group in groups {
        let set = config::load_rules(group)?;
        let report = examples::run(&set).map_err(ConfigError::Usage)?;
        for (origin, failures) in &report.failed {
            text += &format!("FAIL {origin}\n");
            for f in failures {
                text += &format!("  {f}\n");
            }
        }
        let name = if group.len() == 1 { format!("{}: ", group[0].display()) } else { String::new() };
        text += &format!("{name}{} passed, {} failed\n", report.passed, report.failed.len());
        failed |= !report.failed.is_empty();
    }
    emit(&text)?;
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
