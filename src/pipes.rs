//! Wider pipes on either side of loganon.
//!
//! Why: a Linux pipe holds 64 KiB by default. In `cat access.log | loganon | cat`, a read from
//! standard input then returns at most 64 KiB however large the buffer offered
//! ([`READ_SIZE`](crate::framing::READ_SIZE) is 256 KiB), and writing one 256 KiB batch to
//! standard output blocks until the reader downstream has drained the pipe four times. Each of
//! those waits is a sleep and a wake-up of two processes. On a two-core machine, where loganon's
//! threads and the programs on both sides share the cores, widening both pipes took a run on the
//! access corpus from 342 to 464 MB/s with all threads, and from 196 to 291 MB/s with one
//! (`scripts/compare.sh 256M`, before and after; the README's performance section).
//!
//! So loganon asks for pipes of [`PIPE_SIZE`] on the standard input it reads and the standard
//! output it writes: what Linux grants any user (`/proc/sys/fs/pipe-max-size` defaults to 1 MiB).
//! The buffer belongs to the pipe, not to loganon: the programs on the other side see a larger
//! pipe too, which only lets them run ahead further. Lines are not held back: a write reaches
//! the reader as soon as it is made, whatever the capacity.
//!
//! Failing to widen is never an error: the descriptor may be a file or a terminal (not a pipe),
//! the limit may be lower, or the user's pipe quota spent (`pipe-user-pages-soft`). loganon then
//! runs as before, only slower.

use std::os::fd::AsFd;

/// The capacity asked for: four reads of [`READ_SIZE`](crate::framing::READ_SIZE).
pub const PIPE_SIZE: usize = 1 << 20;

/// Asks for a capacity of [`PIPE_SIZE`] for `fd` if it is a pipe (or FIFO) holding less. Returns
/// the capacity it has afterwards, or `None` if it is no pipe (or its size cannot be read).
pub fn widen(fd: impl AsFd) -> Option<usize> {
    let now = rustix::pipe::fcntl_getpipe_size(&fd).ok()?;
    if now >= PIPE_SIZE {
        return Some(now);
    }
    Some(rustix::pipe::fcntl_setpipe_size(&fd, PIPE_SIZE).unwrap_or(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_are_widened_and_files_left_alone() {
        let (reader, writer) = rustix::pipe::pipe().expect("pipe");
        let before = rustix::pipe::fcntl_getpipe_size(&reader).expect("a pipe has a size");
        let after = widen(&writer).expect("a pipe");
        assert!(after >= before, "{after} < {before}");
        // Both ends are the one pipe.
        assert_eq!(rustix::pipe::fcntl_getpipe_size(&reader).expect("size"), after);
        // Asked again, nothing changes.
        assert_eq!(widen(&reader), Some(after));
        let file = tempfile::tempfile().expect("temporary file");
        assert_eq!(widen(&file), None);
    }
}
