//! The filter's graceful stop: SIGTERM and SIGINT end the input the way its end would, so every
//! line read is written before the process exits 0.
//!
//! Why: programs that run loganon as a log pipe stop it with a signal, not by closing its input.
//! Apache sends SIGTERM to its piped loggers (`CustomLog "|loganon ..."`) when it stops or
//! restarts and closes the pipe only afterwards; a supervisor or a terminal's Ctrl-C does the
//! same. The default action of those signals kills the process with lines still in its batches,
//! and the lines Apache wrote last are the ones lost. Here the signal only makes the input end:
//!
//! - The signal handlers (signal-hook: no unsafe code here) set a flag and write a byte to a
//!   self-pipe. A reader of a pipe, FIFO, socket or terminal waits in `poll` on both its input and
//!   that pipe, so a read that would block for ever is never started after the signal.
//! - Once it sees the signal, the source still takes what its input already holds (what the
//!   writer had written before, as `FIONREAD` counts it, and only while it can be read without
//!   waiting), then reports a stopped end. A regular file stops at once: it does not block, and
//!   the rest of a file was not "already read".
//! - [`Framer`](crate::framing::Framer) treats that stopped end as the end of input, except that
//!   an unfinished last line is cut (it may end inside a value, `jane@exa`), never written whole:
//!   the same fail-closed rule as a client that disconnects from `serve` mid-line.
//! - The pipeline then anonymizes and writes everything it holds, flushes, and the run ends as
//!   usual, exit status 0. A second signal gives up at once with exit status 1, for an output that
//!   never drains.
//!
//! SIGHUP keeps its default action: `nohup loganon ...` sets it ignored, and installing a handler
//! would undo that; a hang-up of an interactive pipeline stops its other members anyway.
//!
//! The stopped end travels in-band as an `io::ErrorKind::UnexpectedEof` read error, the standard
//! kind for "the stream ended early", so neither the framer nor the pipeline needs to know about
//! signals. Only the filter installs this; `serve` has its own drain on tokio's signals.

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::fs::File;
use std::io::{self, ErrorKind, Read};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

/// The signals that stop the filter gracefully.
pub const SIGNALS: [i32; 2] = [SIGTERM, SIGINT];

/// The installed handlers' shared state. Create with [`Shutdown::install`], then wrap each input
/// with [`Shutdown::guard`].
pub struct Shutdown {
    /// Set by the signal handlers.
    requested: Arc<AtomicBool>,
    /// Readable once a signal arrived (the handlers write to its peer); never drained.
    wake: UnixStream,
    /// Set by the first source that acted on the signal; sources after it end at once.
    noticed: AtomicBool,
    /// The source that acted on the signal held an unfinished line, which the framer cuts.
    unfinished: AtomicBool,
    max_line: usize,
}

impl Shutdown {
    /// Installs the handlers for [`SIGNALS`]. `max_line` is the framer's line limit, to tell an
    /// unfinished line the framer still holds from the tail of one it already cut.
    pub fn install(max_line: usize) -> io::Result<Arc<Self>> {
        let requested = Arc::new(AtomicBool::new(false));
        let (wake, wake_write) = UnixStream::pair()?;
        for sig in SIGNALS {
            // Actions run in the order registered: a second signal (flag already set) exits 1
            // before anything else; the first sets the flag, then wakes the reader.
            signal_hook::flag::register_conditional_shutdown(sig, 1, requested.clone())?;
            signal_hook::flag::register(sig, requested.clone())?;
            signal_hook::low_level::pipe::register(sig, wake_write.try_clone()?)?;
        }
        Ok(Arc::new(Self {
            requested,
            wake,
            noticed: AtomicBool::new(false),
            unfinished: AtomicBool::new(false),
            max_line: max_line.max(1),
        }))
    }

    /// Wraps an input so that a stop signal ends it (see the module docs).
    pub fn guard(self: &Arc<Self>, file: File) -> Guarded {
        // A regular file never blocks; anything else (pipe, FIFO, socket, terminal) may.
        let waits = !file.metadata().is_ok_and(|m| m.is_file());
        Guarded { file, waits, stop: self.clone(), state: State::Reading, pending: 0 }
    }

    /// True once a signal ended the input.
    pub fn stopped(&self) -> bool {
        self.noticed.load(SeqCst)
    }

    /// True if the input was stopped in the middle of a line, which was then written cut.
    pub fn cut_unfinished(&self) -> bool {
        self.unfinished.load(SeqCst)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Reading,
    /// After the signal: at most `left` more bytes, those the input held when it was seen.
    Draining {
        left: u64,
    },
    /// Stopped by the signal: every read reports the stopped end.
    Stopped,
}

/// An input that a stop signal ends; see the module docs.
pub struct Guarded {
    file: File,
    waits: bool,
    stop: Arc<Shutdown>,
    state: State,
    /// Bytes handed out since the last newline.
    pending: u64,
}

const NOW: Timespec = Timespec { tv_sec: 0, tv_nsec: 0 };

impl Guarded {
    /// Waits until the input can be read or a signal arrived; true for the signal.
    fn wait(&self) -> io::Result<bool> {
        loop {
            let mut fds = [PollFd::new(&self.stop.wake, PollFlags::IN), PollFd::new(&self.file, PollFlags::IN)];
            match poll(&mut fds, None) {
                Ok(_) if !fds[0].revents().is_empty() => return Ok(true),
                Ok(_) if !fds[1].revents().is_empty() => return Ok(false),
                Ok(_) => continue,
                Err(e) if e == rustix::io::Errno::INTR => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// True if a read would not wait (data, or the writer's end).
    fn ready(&self) -> io::Result<bool> {
        let mut fds = [PollFd::new(&self.file, PollFlags::IN)];
        match poll(&mut fds, Some(&NOW)) {
            Ok(_) => Ok(!fds[0].revents().is_empty()),
            Err(e) if e == rustix::io::Errno::INTR => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The state after seeing the signal.
    fn on_signal(&self) -> State {
        if self.stop.noticed.swap(true, SeqCst) {
            // An input after the one being read when the signal came: none of it was read.
            return State::Stopped;
        }
        let held = if self.waits { rustix::io::ioctl_fionread(&self.file).unwrap_or(0) } else { 0 };
        State::Draining { left: held }
    }

    fn handed_out(&mut self, data: &[u8]) -> usize {
        match memchr::memrchr(b'\n', data) {
            Some(i) => self.pending = (data.len() - i - 1) as u64,
            None => self.pending += data.len() as u64,
        }
        data.len()
    }
}

impl Read for Guarded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.state {
                State::Reading => {
                    let signalled = self.stop.requested.load(SeqCst) || (self.waits && self.wait()?);
                    if !signalled {
                        let n = self.file.read(buf)?;
                        return Ok(self.handed_out(&buf[..n]));
                    }
                    self.state = self.on_signal();
                }
                State::Draining { left } => {
                    if left == 0 || !self.ready()? {
                        // The framer holds the unfinished line unless it was over the limit
                        // (then it was cut already and its tail is being discarded).
                        let unfinished = self.pending > 0 && self.pending <= self.stop.max_line as u64;
                        self.stop.unfinished.store(unfinished, SeqCst);
                        self.state = State::Stopped;
                        continue;
                    }
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.file.read(&mut buf[..want])?;
                    if n == 0 {
                        // The writer closed its end: a true end of input after all.
                        self.state = State::Draining { left: 0 };
                        self.pending = 0;
                        return Ok(0);
                    }
                    self.state = State::Draining { left: left - n as u64 };
                    return Ok(self.handed_out(&buf[..n]));
                }
                State::Stopped => return Err(io::Error::new(ErrorKind::UnexpectedEof, "input stopped by a signal")),
            }
        }
    }
}
