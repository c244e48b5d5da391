//! Every saved fuzz input, replayed as an ordinary test through the same checks the fuzz targets
//! run (`fuzz/checks.rs`, included below): the committed seeds and past crashes under
//! `fuzz/regressions/<target>/`, and the local corpus under `fuzz/corpus/<target>/` when a fuzzing
//! run has left one (it is git-ignored). So a crash found once is checked by `cargo test` forever,
//! with no fuzzing toolchain. See `fuzz/README.md`.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The saved inputs of a target, regressions first, each with its path.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut found = Vec::new();
    for dir in ["regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else { continue };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        paths.sort();
        found.extend(paths.into_iter().map(|p| {
            let data = std::fs::read(&p).unwrap();
            (p, data)
        }));
    }
    found
}

/// Runs `check` on every saved input of `target`; fails naming every input that panicked.
fn replay(target: &str, check: impl Fn(&[u8])) {
    let inputs = inputs(target);
    assert!(
        inputs.iter().any(|(p, _)| p.components().any(|c| c.as_os_str() == "regressions")),
        "no committed inputs for {target} under fuzz/regressions/{target}/"
    );
    let failed: Vec<String> = inputs
        .iter()
        .filter(|(_, data)| panic::catch_unwind(AssertUnwindSafe(|| check(data))).is_err())
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} {target} inputs failed (messages above):\n{}",
        failed.len(),
        inputs.len(),
        failed.join("\n")
    );
    eprintln!("{target}: {} inputs replayed", inputs.len());
}

#[test]
fn framing() {
    replay("framing", checks::framing);
}

#[test]
fn formats() {
    replay("formats", checks::formats);
}

#[test]
fn redact_line() {
    let p = checks::default_processor();
    replay("redact_line", |data| checks::redact_line(&p, data));
}

#[test]
fn rules() {
    replay("rules", checks::rules);
}

/// The checks themselves catch what they are meant to: a leak, a broken frame, a lost tag.
#[test]
fn the_checks_are_not_vacuous() {
    let p = checks::default_processor();
    let s = &mut loganon::process::LineScratch::default();
    let out = checks::process(&p, s, format!("x {} y\n", checks::PLANTED).as_bytes(), false);
    for value in checks::MUST_NOT_SURVIVE {
        assert_eq!(checks::occurrences(&out, value.as_bytes()), 0, "{value} in {}", String::from_utf8_lossy(&out));
    }
    assert_eq!(checks::occurrences(b"1111 1111 1111", b"1111 1111"), 2, "overlapping occurrences count");
    let caught = |f: &dyn Fn()| panic::catch_unwind(AssertUnwindSafe(f)).is_err();
    // A line glued to its neighbour is not one line.
    assert!(caught(&|| {
        checks::process(&p, &mut loganon::process::LineScratch::default(), b"a\nb\n", false);
    }));
    // The reference framing is what the framer does; a wrong limit would not match it.
    assert_eq!(checks::frame(b"abcdef\ngh", &[2], 4, 64), checks::frame_reference(b"abcdef\ngh", 4));
    assert_ne!(checks::frame(b"abcdef\ngh", &[2], 4, 64), checks::frame_reference(b"abcdef\ngh", 5));
}
