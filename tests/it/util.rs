//! Helpers shared by the integration test modules.

use assert_cmd::Command;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

pub const NOW: &str = "2026-11-22T12:00:00Z";

pub fn loganon() -> Command {
    Command::cargo_bin("loganon").unwrap()
}

/// loganon started with `args`, its standard input, output and error all on pipes.
pub fn spawn_piped(args: &[&str]) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("loganon"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The filter started with `args` on pipes the test holds: its standard input, and its standard
/// output read line by line.
pub fn filter_on_pipes(args: &[&str]) -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("loganon"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdin, stdout)
}

/// Runs loganon with `args` on `input`; returns (stdout, stderr, exit code).
pub fn run(args: &[&str], input: &[u8]) -> (String, String, i32) {
    let out = loganon().args(args).write_stdin(input.to_vec()).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

pub fn ok(args: &[&str], input: &str) -> String {
    let (out, err, code) = run(args, input.as_bytes());
    assert_eq!(code, 0, "stderr: {err}");
    out
}

pub fn key_file(dir: &tempfile::TempDir, name: &str, key: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p.display().to_string()
}

/// The real logs beside the checkout (`../shared/data/*.log`), if present.
pub fn shared_data() -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    Some(files)
}

/// A file of the project's own test data (`tests/data/...`).
pub fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}
