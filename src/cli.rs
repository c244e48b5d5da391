//! Command-line definitions (clap) and nothing else: raw arguments, validated in `config`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Anonymize server logs as they stream: IP addresses truncated or pseudonymized (keyed),
/// emails and card numbers redacted, every line tagged with the instant it must be deleted.
///
/// Reads the FILEs (or standard input) and writes one anonymized line per input line to
/// standard output, in input order.
#[derive(Debug, Parser)]
#[command(name = "loganon", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How anonymized IP addresses are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IpModeArg {
    /// Network address: IPv4 /24, IPv6 /48 (prefixes set in the rules).
    Truncate,
    /// Keyed pseudonym (HMAC-SHA-256): `ip4-` or `ip6-` and 16 hex digits. Needs --key-file.
    Hash,
}

/// Log format of the input lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Detect per line: JSON object, syslog, access log, logfmt, else plain text.
    Auto,
    /// JSON objects, one per line.
    Json,
    /// Syslog, RFC 5424 or RFC 3164.
    Syslog,
    /// Web server access log (common or combined, with extra quoted fields).
    Access,
    /// logfmt key=value pairs.
    Logfmt,
    /// Plain text: every line scanned, no fields.
    Text,
}

/// Options of the filter and of the commands that anonymize.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Input files, read in order; standard input if none (or `-`).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// How to anonymize IP addresses [default: truncate].
    #[arg(long, value_enum)]
    pub ip_mode: Option<IpModeArg>,

    /// File holding the secret key for pseudonyms (at least 16 bytes; one trailing newline is
    /// ignored).
    #[arg(long, env = "LOGANON_KEY_FILE", value_name = "PATH")]
    pub key_file: Option<PathBuf>,

    /// Clock (RFC 3339) for lines without a timestamp and for RFC 3164 years [default: now].
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,

    /// Rule file (repeatable, applied in order); without it the built-in default rules apply.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// Worker threads [default: all cores]. Output order never depends on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Longest line kept whole, in bytes; longer lines are cut, redacted and marked.
    #[arg(long, value_name = "BYTES", default_value_t = crate::framing::DEFAULT_MAX_LINE)]
    pub max_line: usize,

    /// Input format; a line that does not fit a forced format is scanned as plain text.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,

    /// Also tag each line with its coarse retention class (` retention=14d` before
    /// `expires_at`; a `"retention"` member in JSON), for stores that route per class.
    #[arg(long)]
    pub tag_retention: bool,

    /// Write every finding (line, byte range, rule, category, action; never the value) as JSON
    /// lines to FILE, then a summary line.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Find and report, but write no log lines (needs --report or --stats).
    #[arg(long)]
    pub dry_run: bool,

    /// Print counts (lines, bytes, throughput, redactions per rule) to standard error at exit.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Measure a ruleset on a corpus in memory: throughput (min/median/max over the runs) and,
    /// per rule, matches, rejected candidates and share of the time, slowest first.
    Bench(BenchArgs),
    /// Show the lines whose anonymized output differs between the rules given with --rules
    /// (default: the built-in rules) and those given with --rules-new. Exit 0 if none differ,
    /// 1 if some do.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old rules (--rules), IP mode, key, format, and the FILEs to compare on (stdin if none).
    #[command(flatten)]
    pub run: RunArgs,
    /// The new rule files (repeatable).
    #[arg(long = "rules-new", value_name = "PATH", required = true)]
    pub rules_new: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The rules, IP mode, key and format to measure, and the corpus FILEs (stdin if none).
    #[command(flatten)]
    pub run: RunArgs,
    /// Timed passes per measurement.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub runs: usize,
    /// Print the results as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Run the inline [[example]]s of rule files (the default rules if none are given); prints a
    /// diff for each failure and exits 1 if any fails.
    Test {
        /// Rule files to test.
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Validate rule files (the default rules if none are given) and print what they compile to:
    /// detectors, literal anchors, actions, retention; warn about shadowed rules, fields no format
    /// has, and patterns without a literal anchor.
    Check {
        /// Rule files to check, merged in order.
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}
