//! `loganon man` and `loganon completions`: manual pages and shell completion scripts generated
//! from the clap definitions in [`cli`](crate::cli) (clap_mangen, clap_complete).
//!
//! Generated rather than written because a hand-kept page drifts from the options the binary
//! really takes; built into the binary rather than into a build script because `cargo install`
//! installs only the binary, and the pages must match the binary that is installed. What clap does
//! not describe (exit status, signals, environment) is written here, for loganon(1) only.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The command tree as the pages see it: built, so that subcommands carry their display names
/// (`loganon-serve`) and usage lines (`loganon serve`), and without clap's `help` subcommands.
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The sections of loganon(1) that clap knows nothing about.
const MAIN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success, including a stop by SIGTERM or SIGINT once every line read has been written.
.TP
\fB1\fR
An input or output failure (a file that cannot be read, an output that cannot be written, an
address that cannot be bound), or a second stop signal before the output was written.
.TP
\fB2\fR
A usage or rule error; the message on standard error names the file, line and problem.
.SH SIGNALS
SIGTERM and SIGINT end the filter's input: it takes what its pipe already holds, anonymizes and
writes every line read (an unfinished last line is cut and marked), flushes and exits 0, as
Apache expects of a piped logger. A second signal exits 1 at once. SIGHUP keeps its default
action, so \fBnohup\fR(1) works.
\fBloganon serve\fR drains its connections on SIGTERM or SIGINT, reopens its \fB\-\-output\fR
file on SIGHUP (for \fBlogrotate\fR(8)) and prints its counters on SIGUSR1.
.SH ENVIRONMENT
.TP
\fBLOGANON_KEY_FILE\fR
The key file for pseudonyms when \fB\-\-key\-file\fR is not given.
.SH OUTPUT
Standard output carries nothing but log lines, one per input line, in input order; warnings and
counters go to standard error.
.SH "SEE ALSO"
\fBloganon\-serve\fR(1), \fBloganon\-rules\fR(1), \fBloganon\-bench\fR(1), \fBloganon\-diff\fR(1),
\fBlogrotate\fR(8)
"#;

fn render(cmd: &clap::Command, main: bool) -> io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone()).source(concat!("loganon ", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    man.render(&mut out)?;
    if main {
        // The extra sections go before VERSION, the last one clap renders.
        let at = memchr::memmem::find(&out, b"\n.SH VERSION").map_or(out.len(), |i| i + 1);
        out.splice(at..at, MAIN_EXTRA.bytes());
    }
    Ok(out)
}

/// The page of the subcommand at `path` (`["rules", "test"]`), or loganon(1) for an empty path.
pub fn page(path: &[String]) -> Result<Vec<u8>, String> {
    let root = command();
    let mut cmd = &root;
    for name in path {
        cmd = cmd.find_subcommand(name).filter(|c| !c.is_hide_set()).ok_or_else(|| {
            let known: Vec<&str> = cmd.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| c.get_name()).collect();
            format!("no page for '{}': the subcommands here are {}", path.join(" "), known.join(", "))
        })?;
    }
    render(cmd, path.is_empty()).map_err(|e| e.to_string())
}

/// Writes every page (loganon.1, loganon-serve.1, loganon-rules-test.1, ...) into `dir`; returns
/// their paths, loganon.1 first.
pub fn write_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    fn walk(cmd: &clap::Command, main: bool, dir: &Path, written: &mut Vec<PathBuf>) -> io::Result<()> {
        let path = dir.join(clap_mangen::Man::new(cmd.clone()).get_filename());
        let mut file = std::fs::File::create(&path)?;
        file.write_all(&render(cmd, main)?)?;
        written.push(path);
        for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            walk(sub, false, dir, written)?;
        }
        Ok(())
    }
    let mut written = Vec::new();
    walk(&command(), true, dir, &mut written)?;
    Ok(written)
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "loganon", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_a_page_named_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = write_pages(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for want in ["loganon.1", "loganon-serve.1", "loganon-rules.1", "loganon-rules-test.1", "loganon-completions.1"]
        {
            assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    }

    #[test]
    fn an_unknown_subcommand_has_no_page() {
        let err = page(&["nope".into()]).unwrap_err();
        assert!(err.contains("serve"), "{err}");
    }
}
