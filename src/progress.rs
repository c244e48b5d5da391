//! `--progress`: how far a long run has got, on standard error, while it runs.
//!
//! Why: anonymizing an archive of tens of gigabytes takes minutes, and `--stats` speaks only at
//! the end. The inputs are counted as they are read ([`Counted`], one relaxed atomic add per read
//! of up to 256 KiB), and a thread of its own ([`Reporter`]) prints a line every interval: bytes
//! read, of how many when every input is a regular file (standard input redirected from a file
//! included), the rate since the start, and the time left at that rate. Nothing in the pipeline
//! changes, and the reporter never waits on it. The last line, at the end, gives the total.
//!
//! The bytes counted are those read, which the workers have not all written yet: the batches in
//! flight (about 24 MiB) are ahead of the output.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A reader that adds what it reads to a shared count.
pub struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Relaxed);
        Ok(n)
    }
}

/// The total size of `files` if every one is a regular file, whose size is known up front.
pub fn total_size(files: &[File]) -> Option<u64> {
    files.iter().map(|f| f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len())).sum()
}

/// The reporting thread, and the count it reports.
pub struct Reporter {
    read: Arc<AtomicU64>,
    total: Option<u64>,
    started: Instant,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Reporter {
    /// Starts printing a line every `every` to standard error, for inputs of `total` bytes
    /// (`None`: unknown, as for a pipe).
    pub fn start(every: Duration, total: Option<u64>) -> Self {
        let read = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let (stop, stopped) = mpsc::channel::<()>();
        let count = read.clone();
        let thread = std::thread::spawn(move || {
            // A message or a dropped sender both mean the run is over.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                say(&line(count.load(Relaxed), total, started.elapsed()));
            }
        });
        Self { read, total, started, stop: Some(stop), thread: Some(thread) }
    }

    /// Wraps an input so that what it reads is counted.
    pub fn count<R: Read>(&self, inner: R) -> Counted<R> {
        Counted { inner, read: self.read.clone() }
    }

    /// Stops the thread and prints the last line: what was read, in how long.
    pub fn finish(mut self) {
        self.stop_thread();
        let read = self.read.load(Relaxed);
        let secs = self.started.elapsed().as_secs_f64();
        let of = match self.total {
            Some(total) if total != read => format!(" of {}", size(total)),
            _ => String::new(),
        };
        say(&format!("done: {}{of} read in {secs:.1} s ({})", size(read), rate(read, secs)));
    }

    fn stop_thread(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Reporter {
    /// A run that failed still stops the thread, without the last line.
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Prints one progress line; a closed standard error is not worth failing the run for.
fn say(text: &str) {
    let _ = writeln!(io::stderr().lock(), "loganon: progress: {text}");
}

/// One progress line: `read` bytes of `total`, `elapsed` since the start.
fn line(read: u64, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let clock = format!("{} elapsed", duration(secs));
    match total {
        Some(total) if total > 0 => {
            let left = match read as f64 / secs {
                per_sec if per_sec > 0.0 && read <= total => {
                    format!(", about {} left", duration((total - read) as f64 / per_sec))
                }
                _ => String::new(),
            };
            let percent = 100.0 * read as f64 / total as f64;
            format!("{} of {} ({percent:.0}%), {}, {clock}{left}", size(read), size(total), rate(read, secs))
        }
        _ => format!("{} read, {}, {clock}", size(read), rate(read, secs)),
    }
}

/// Bytes in MB (10^6), or GB from 10 GB on.
fn size(bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 10_000.0 { format!("{:.1} GB", mb / 1e3) } else { format!("{mb:.1} MB") }
}

fn rate(bytes: u64, secs: f64) -> String {
    format!("{:.1} MB/s", if secs > 0.0 { bytes as f64 / 1e6 / secs } else { 0.0 })
}

/// Whole seconds as `1h02m03s`, `2m03s` or `3s`.
fn duration(secs: f64) -> String {
    let s = secs.round() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_total_gives_the_share_and_the_time_left() {
        let l = line(250_000_000, Some(1_000_000_000), Duration::from_secs(10));
        assert_eq!(l, "250.0 MB of 1000.0 MB (25%), 25.0 MB/s, 10s elapsed, about 30s left");
    }

    #[test]
    fn an_unknown_total_gives_what_was_read() {
        let l = line(12_345_678_901, None, Duration::from_secs(3725));
        assert_eq!(l, "12.3 GB read, 3.3 MB/s, 1h02m05s elapsed");
    }

    #[test]
    fn nothing_read_yet_gives_no_time_left() {
        assert_eq!(line(0, Some(5_000_000), Duration::from_secs(2)), "0.0 MB of 5.0 MB (0%), 0.0 MB/s, 2s elapsed");
    }

    #[test]
    fn a_file_that_grew_gives_no_time_left() {
        let l = line(6_000_000, Some(5_000_000), Duration::from_secs(2));
        assert_eq!(l, "6.0 MB of 5.0 MB (120%), 3.0 MB/s, 2s elapsed");
    }
}
