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

/// Options of the filter: its inputs, and how lines are anonymized.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Input files, read in order; standard input if none (or `-`).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub anon: AnonArgs,

    /// Write every finding (line, byte range, rule, category, action; never the value) as JSON
    /// lines to FILE, then a summary line.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Find and report, but write no log lines (needs --report or --stats).
    #[arg(long)]
    pub dry_run: bool,

    /// Print counts (lines, bytes, throughput, redactions per rule and category) to standard
    /// error at exit.
    #[arg(long)]
    pub stats: bool,

    /// Print how far the run has got (bytes read, of how many when the inputs are files, rate,
    /// time left) to standard error every SECS seconds (5 if not given), and the total at the end.
    #[arg(
        long,
        value_name = "SECS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "5",
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub progress: Option<u64>,
}

/// How lines are anonymized: shared by the filter and `serve`.
#[derive(Debug, Args)]
pub struct AnonArgs {
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

    /// Worker threads, 1 to 64 [default: all cores, at most 64]. Output order never depends on it.
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
}

/// Framing of the lines sent to `--forward`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ForwardFramingArg {
    /// One line per message, ended by a newline.
    Lf,
    /// RFC 6587 octet counting: `LEN SP MSG`, the message without its newline.
    OctetCounting,
}

/// What a connection does when the output buffer stays full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnFullArg {
    /// Wait: readers stop reading and TCP flow control slows the clients. Nothing is lost.
    Block,
    /// After --full-timeout, drop the lines that do not fit (counted), keep reading.
    Drop,
}

/// Options of `loganon serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TCP address to accept clients on (repeatable); port 0 picks a free port. Every bound
    /// address is printed on standard error as `loganon: listening on ADDR`.
    #[arg(long, value_name = "ADDR", required = true)]
    pub listen: Vec<String>,

    /// Also receive syslog over UDP on this address (one or more lines per datagram).
    #[arg(long, value_name = "ADDR")]
    pub udp: Option<String>,

    /// Append lines to this file instead of standard output; reopened on SIGHUP (logrotate).
    #[arg(long, value_name = "FILE", conflicts_with = "forward")]
    pub output: Option<PathBuf>,

    /// Send lines to a downstream collector over TCP, reconnecting with backoff.
    #[arg(long, value_name = "HOST:PORT")]
    pub forward: Option<String>,

    /// Framing of the lines sent to --forward.
    #[arg(long, value_enum, default_value_t = ForwardFramingArg::Lf, requires = "forward")]
    pub forward_framing: ForwardFramingArg,

    /// Most clients connected at once; more wait in the kernel's accept queue.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,

    /// Close a connection that sent nothing for this many seconds (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub idle_timeout: u64,

    /// Anonymized bytes held for the output at most; when full, readers wait (see --on-full).
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub buffer_bytes: usize,

    /// When the buffer stays full for --full-timeout: keep waiting (block), or drop lines and
    /// count them (drop).
    #[arg(long, value_enum, default_value_t = OnFullArg::Block)]
    pub on_full: OnFullArg,

    /// Seconds the buffer may stay full before --on-full drop starts dropping.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub full_timeout: u64,

    /// On SIGTERM/SIGINT, the longest time connections go on reading what their clients are
    /// still sending, in seconds; then they stop reading (what was read is still written).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub drain_timeout: u64,

    /// Serve counters in Prometheus text format over HTTP on this address.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,

    #[command(flatten)]
    pub anon: AnonArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Accept log lines over TCP (and UDP), anonymize them, and write them to standard output, a
    /// file or a downstream collector. Stops on SIGTERM/SIGINT after writing every line read.
    Serve(Box<ServeArgs>),
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
    /// Print a manual page (roff), generated from these definitions: `loganon man | man -l -`.
    Man(ManArgs),
    /// Print the completion script for a shell, generated from these definitions.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`serve`, `rules test`); loganon(1) if none.
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Write every page (loganon.1, loganon-serve.1, ...) into DIR instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
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
    /// Run the inline `[[example]]`s of rule files (the default rules if none are given); prints a
    /// diff for each failure and exits 1 if any fails. Each file is a ruleset of its own, as
    /// `--rules FILE` would use it, unless --merged is given.
    Test {
        /// Rule files to test.
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Merge the files into one ruleset, as repeated --rules would, and test that.
        #[arg(long)]
        merged: bool,
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
