//! Validated runtime configuration: command-line arguments become a [`Config`] here, once.
//!
//! Everything that can be wrong with the arguments (a rule file that does not parse, hash mode
//! without a usable key, a malformed `--now`, a thread count out of range) is found while
//! building the config, before a byte of input is read, and reported as a [`ConfigError`] whose
//! kind maps to an exit code. The built config cannot be misconfigured. [`Anonymizer`] is the
//! part the filter and `serve` share (rules, key, clock, processor); each builds it through the
//! same path.

use crate::anonymize::Pseudonymizer;
use crate::cli::{AnonArgs, FormatArg, IpModeArg, RunArgs};
use crate::format::Format;
use crate::pipeline::{MAX_THREADS, Settings};
use crate::process::{Options, Processor};
use crate::rules::{IpMode, RuleError, Ruleset, Source};
use std::path::{Path, PathBuf};

/// Why the arguments cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Bad arguments or rules: exit status 2.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// An input or rule file could not be read: exit status 1. The I/O error is the source, not
    /// part of the message: `{:#}` would print it twice.
    #[error("{path}")]
    Io { path: String, source: std::io::Error },
}

/// Where the clock comes from.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    Fixed(i64),
    Wall,
}

impl Clock {
    pub fn now(&self) -> i64 {
        match self {
            Clock::Fixed(t) => *t,
            Clock::Wall => crate::time::wall_clock(),
        }
    }
}

/// Where lines come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

/// A run, ready to go.
pub struct Config {
    pub processor: Processor,
    pub settings: Settings,
    pub inputs: Vec<Input>,
    pub clock: Clock,
    pub stats: bool,
    /// `--progress`: how often to print how far the run has got.
    pub progress: Option<std::time::Duration>,
    /// Where `--report` goes.
    pub report: Option<PathBuf>,
    /// `--dry-run`: find and report, write no log lines.
    pub dry_run: bool,
    /// The rules, IP mode, key and options the processor was built from (to rebuild variants,
    /// as `bench` and `diff` do).
    pub ruleset: Ruleset,
    pub ip_mode: Option<IpMode>,
    pub keyed: Option<Pseudonymizer>,
    pub options: Options,
    /// Non-fatal findings to print before running (e.g. a key file others can read).
    pub warnings: Vec<String>,
}

fn read_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::Io { path: path.display().to_string(), source })
}

/// Loads rule files, or the built-in defaults when none are given.
pub fn load_rules(paths: &[PathBuf]) -> Result<Ruleset, ConfigError> {
    let sources = if paths.is_empty() {
        vec![Source::builtin_default()]
    } else {
        paths
            .iter()
            .map(|p| {
                let bytes = read_file(p)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| ConfigError::Usage(format!("{}: rule file is not UTF-8", p.display())))?;
                Ok(Source { name: p.display().to_string(), text })
            })
            .collect::<Result<_, ConfigError>>()?
    };
    Ok(Ruleset::load(&sources)?)
}

/// Reads a key file: its bytes, minus one trailing newline.
fn load_key(path: &Path, warnings: &mut Vec<String>) -> Result<Pseudonymizer, ConfigError> {
    let mut key = read_file(path).map_err(|e| match e {
        ConfigError::Io { path, source } => ConfigError::Usage(format!("cannot read key file {path}: {source}")),
        other => other,
    })?;
    if key.ends_with(b"\n") {
        key.pop();
        if key.ends_with(b"\r") {
            key.pop();
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                warnings.push(format!("key file {} is readable by other users; consider `chmod 600`", path.display()));
            }
        }
    }
    Pseudonymizer::new(&key).map_err(|e| ConfigError::Usage(format!("key file {}: {e}", path.display())))
}

/// How lines are anonymized, validated: what the filter and `serve` share.
pub struct Anonymizer {
    pub processor: Processor,
    pub ruleset: Ruleset,
    pub ip_mode: Option<IpMode>,
    pub keyed: Option<Pseudonymizer>,
    pub options: Options,
    pub clock: Clock,
    pub threads: usize,
    pub max_line: usize,
    /// Non-fatal findings to print before running (e.g. a key file others can read).
    pub warnings: Vec<String>,
}

impl Anonymizer {
    /// Validates the anonymization options; `report` makes the processor record findings.
    pub fn from_args(args: &AnonArgs, report: bool) -> Result<Self, ConfigError> {
        let clock = match &args.now {
            Some(s) => Clock::Fixed(crate::time::parse_rfc3339(s).ok_or_else(|| {
                ConfigError::Usage(format!("--now '{s}' is not an RFC 3339 timestamp (e.g. 2026-11-22T10:00:00Z)"))
            })?),
            None => Clock::Wall,
        };
        let threads = match args.threads {
            Some(n @ 1..=MAX_THREADS) => n,
            Some(n) => {
                return Err(ConfigError::Usage(format!(
                    "--threads {n}: give 1 to {MAX_THREADS} (one reader and one writer feed the workers, so more add memory, not speed)"
                )));
            }
            None => std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS),
        };
        if args.max_line == 0 {
            return Err(ConfigError::Usage("--max-line must be at least 1".into()));
        }
        let mut warnings = Vec::new();
        let ip_mode = args.ip_mode.map(|m| match m {
            IpModeArg::Truncate => IpMode::Truncate,
            IpModeArg::Hash => IpMode::Hash,
        });
        if ip_mode == Some(IpMode::Hash) && args.key_file.is_none() {
            return Err(ConfigError::Usage(
                "--ip-mode hash needs a secret key: give --key-file PATH or set LOGANON_KEY_FILE (make one with `head -c 32 /dev/urandom > loganon.key`)".into(),
            ));
        }
        let keyed = args.key_file.as_deref().map(|p| load_key(p, &mut warnings)).transpose()?;
        let ruleset = load_rules(&args.rules)?;
        let engine = ruleset.engine(ip_mode, keyed.clone()).map_err(ConfigError::Usage)?;
        let format = match args.format {
            FormatArg::Auto => None,
            FormatArg::Json => Some(Format::Json),
            FormatArg::Syslog => Some(Format::Syslog),
            FormatArg::Access => Some(Format::Access),
            FormatArg::Logfmt => Some(Format::Logfmt),
            FormatArg::Text => Some(Format::Text),
        };
        let options = Options { format, tag_retention: args.tag_retention, report, json_strings_alone: false };
        Ok(Anonymizer {
            processor: Processor::new(engine, &ruleset.retention, options),
            ruleset,
            ip_mode,
            keyed,
            options,
            clock,
            threads,
            max_line: args.max_line,
            warnings,
        })
    }
}

impl Config {
    pub fn from_args(args: RunArgs) -> Result<Self, ConfigError> {
        if args.dry_run && args.report.is_none() && !args.stats {
            return Err(ConfigError::Usage("--dry-run writes no log lines: give --report FILE or --stats".into()));
        }
        let anon = Anonymizer::from_args(&args.anon, args.report.is_some())?;
        let inputs = if args.files.is_empty() {
            vec![Input::Stdin]
        } else {
            args.files.into_iter().map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::File(p) }).collect()
        };
        Ok(Config {
            processor: anon.processor,
            settings: Settings { threads: anon.threads, max_line: anon.max_line },
            inputs,
            clock: anon.clock,
            stats: args.stats,
            progress: args.progress.map(std::time::Duration::from_secs),
            report: args.report,
            dry_run: args.dry_run,
            ruleset: anon.ruleset,
            ip_mode: anon.ip_mode,
            keyed: anon.keyed,
            options: anon.options,
            warnings: anon.warnings,
        })
    }
}
