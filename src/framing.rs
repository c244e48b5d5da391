//! Bytes to batches of whole lines, with a line length limit. Never sees rules or formats.
//!
//! [`Framer`] reads large blocks from any `Read` and hands out [`Batch`]es that end at a line
//! boundary; the partial line at the end of a read is carried into the next batch. A batch is
//! handed out after every read that completed at least one line, so a line from a live pipe
//! (`tail -F | loganon`) is processed as soon as it arrives, while a file or a busy pipe still
//! yields large batches (a pipe read returns up to the pipe's capacity). Memory is bounded: a
//! line longer than `max_line` is cut there, marked in [`Batch::cut`], and the rest of it up to the
//! next newline is read and discarded without being stored. A last line without a newline is
//! still a line, unless the source stopped early (an `UnexpectedEof` read error, see
//! [`shutdown`](crate::shutdown)): then it may end inside a value and is cut like an over-long one.
//!
//! A batch also holds at most one line per [`MIN_AVERAGE_LINE`] bytes of the read size. Every line
//! gains an expiry tag of about 32 bytes on its way out, so a read of empty lines would otherwise
//! come out some thirty times its size (a 256 KiB read of `\n`s, 9 MB). The lines past the limit
//! stay in the framer and make up the next batches, which are handed out without another read.

use std::io::{self, ErrorKind, Read};

/// Bytes asked of the source per read, unless the framer is given another size. Larger than a
/// pipe's default capacity (64 KiB), so that a full pipe is drained in one call.
pub const READ_SIZE: usize = 256 * 1024;

/// Default longest line kept whole: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// A batch holds at most `read_size / MIN_AVERAGE_LINE` lines (4096 for 256 KiB reads).
pub const MIN_AVERAGE_LINE: usize = 64;

/// Complete lines (each ending in `\n`, except possibly the last line of the input).
///
/// The framer reads straight into a batch's buffer. A safe `read` needs initialized memory, so
/// the buffer is zeroed as it grows and never shrinks back (`len` marks what it holds): a
/// recycled batch is read into again as it is. Copying each read out of a buffer of the
/// framer's instead cost about a tenth of the CPU time of a one-thread run on an access log.
#[derive(Debug, Default)]
pub struct Batch {
    buf: Vec<u8>,
    len: usize,
    /// Start offsets, ascending, of lines that were cut at the length limit.
    pub cut: Vec<usize>,
    /// The clock reading for this batch (Unix seconds), set by the reader.
    pub now: i64,
}

impl Batch {
    /// The batch's bytes: its lines, one after the other.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The batch's lines with their endings, each with its cut flag.
    pub fn lines(&self) -> impl Iterator<Item = (&[u8], bool)> {
        let data = self.bytes();
        let mut at = 0;
        let mut cuts = self.cut.iter().peekable();
        std::iter::from_fn(move || {
            if at >= data.len() {
                return None;
            }
            let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i + 1);
            let cut = cuts.next_if(|&&c| c == at).is_some();
            let line = &data[at..end];
            at = end;
            Some((line, cut))
        })
    }

    /// Frees the buffer if it grew past `limit` bytes (a batch of long lines).
    pub fn fit(&mut self, limit: usize) {
        if self.buf.len() > limit {
            self.buf = Vec::new();
            self.len = 0;
        }
    }

    /// Room for `n` more bytes after the contents, zeroed only where the buffer grows.
    fn room(&mut self, n: usize) -> &mut [u8] {
        let end = self.len + n;
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        &mut self.buf[self.len..end]
    }

    fn clear(&mut self) {
        self.len = 0;
        self.cut.clear();
    }

    fn extend(&mut self, bytes: &[u8]) {
        self.room(bytes.len()).copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Removes the bytes in `range`, moving those after it down.
    fn remove(&mut self, range: std::ops::Range<usize>) {
        self.buf.copy_within(range.end..self.len, range.start);
        self.len -= range.len();
    }
}

/// Cuts a byte stream into batches of lines.
pub struct Framer<R> {
    src: R,
    read_size: usize,
    /// What the last batch left, from `carry_at` on: complete lines past its line limit (the
    /// first `carry_ready` bytes, already checked for length, with their cuts in `carry_cut`, as
    /// offsets into `carry`), then the unfinished last line, which holds no newline. Each batch
    /// takes the next lines from `carry_at` on, without moving the ones left.
    carry: Vec<u8>,
    carry_at: usize,
    carry_ready: usize,
    /// How many lines the `carry_ready` bytes hold.
    carry_lines: usize,
    carry_cut: Vec<usize>,
    max_line: usize,
    max_lines: usize,
    discarding: bool,
    eof: bool,
    /// The source reported that it stopped before its end.
    stopped: bool,
    /// Bytes dropped from over-long lines.
    pub discarded: u64,
}

impl<R: Read> Framer<R> {
    /// A framer that reads `read_size` bytes at a time (at least one) and keeps lines of up to
    /// `max_line` bytes whole.
    pub fn new(src: R, max_line: usize, read_size: usize) -> Self {
        let read_size = read_size.max(1);
        Self {
            src,
            read_size,
            carry: Vec::new(),
            carry_at: 0,
            carry_ready: 0,
            carry_lines: 0,
            carry_cut: Vec::new(),
            max_line: max_line.max(1),
            max_lines: (read_size / MIN_AVERAGE_LINE).max(1),
            discarding: false,
            eof: false,
            stopped: false,
            discarded: 0,
        }
    }

    /// Reads up to `read_size` bytes onto the end of the batch.
    fn read_more(&mut self, batch: &mut Batch) -> io::Result<usize> {
        let room = batch.room(self.read_size);
        let n = loop {
            match self.src.read(room) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                    self.stopped = true;
                    break 0;
                }
                Err(e) => return Err(e),
            }
        };
        batch.len += n;
        Ok(n)
    }

    /// Cuts every line that the bytes from `from` on completed or extended beyond `max_line`;
    /// a partial last line that is already too long is cut, and the rest of it will be discarded.
    /// The bytes before `from` must hold no newline: they are the batch's unfinished first line
    /// (see `fill`), so only the bytes from `from` on are searched, and a line of many reads is
    /// not searched again at each read.
    ///
    /// Lines are checked a window at a time, not one by one: every line that starts in the
    /// `max_line + 1` bytes from a line start and ends in them is short enough, so the search
    /// jumps past the window's last newline. Only a window without one holds a line to cut.
    fn cut_long_lines(&mut self, batch: &mut Batch, from: usize) {
        let mut start: usize = 0;
        loop {
            let data = batch.bytes();
            let window_end = data.len().min(start.saturating_add(self.max_line).saturating_add(1));
            let seek = start.max(from).min(window_end);
            if let Some(last) = memchr::memrchr(b'\n', &data[seek..window_end]) {
                start = seek + last + 1;
                continue;
            }
            if window_end - start <= self.max_line {
                return; // the unfinished last line is not too long yet
            }
            // The line at `start` is longer than `max_line`: keep its first `max_line` bytes.
            let end = memchr::memchr(b'\n', &data[start..]).map(|i| start + i);
            let keep = start + self.max_line;
            self.discarded += (end.unwrap_or(data.len()) - keep) as u64;
            batch.cut.push(start);
            match end {
                Some(nl) => {
                    batch.remove(keep..nl);
                    start = keep + 1;
                }
                None => {
                    batch.truncate(keep);
                    batch.extend(b"\n");
                    self.discarding = true;
                    return;
                }
            }
        }
    }

    /// Refills `batch` with the next lines. Returns `false` when the input is exhausted.
    ///
    /// While lines from the last read are waiting, the batch is the next of them, up to the limit.
    /// Otherwise it starts with the carried unfinished line, which holds no newline, and a read is
    /// added while the batch holds none: so at each read only the bytes it added are searched
    /// for one, and a line as long as `max_line` costs time linear in its length.
    pub fn fill(&mut self, batch: &mut Batch) -> io::Result<bool> {
        batch.clear();
        if self.carry_ready > 0 {
            self.hand_out_carried_lines(batch);
            return Ok(true);
        }
        batch.extend(&self.carry[self.carry_at..]);
        self.carry.clear();
        self.carry_at = 0;
        loop {
            if self.eof {
                // At the end the batch holds at most the unfinished last line, from offset 0.
                if self.stopped && batch.len > 0 {
                    batch.cut.push(0);
                }
                return Ok(batch.len > 0);
            }
            let old = batch.len;
            let n = self.read_more(batch)?;
            if n == 0 {
                self.eof = true;
                continue;
            }
            if self.discarding {
                match memchr::memchr(b'\n', &batch.bytes()[old..]) {
                    Some(i) => {
                        self.discarded += i as u64 + 1;
                        batch.remove(old..old + i + 1);
                        self.discarding = false;
                    }
                    None => {
                        self.discarded += n as u64;
                        batch.truncate(old);
                        continue;
                    }
                }
            }
            self.cut_long_lines(batch, old);
            // Cutting keeps every newline at or after `old`.
            let new = old.min(batch.len);
            if let Some(last) = memchr::memrchr(b'\n', &batch.bytes()[new..]).map(|i| new + i) {
                self.limit_lines(batch, last + 1);
                return Ok(true);
            }
        }
    }

    /// Ends the batch after at most `max_lines` of the complete lines in `batch.bytes()[..complete]`
    /// and carries everything after that end (the remaining lines, then the unfinished one).
    fn limit_lines(&mut self, batch: &mut Batch, complete: usize) {
        let lines = &batch.bytes()[..complete];
        let (mut end, mut carried) = (complete, 0);
        // Counting is one vector pass, and is needed only where lines can be over the limit.
        if lines.len() > self.max_lines {
            let count = memchr::memchr_iter(b'\n', lines).count();
            let kept;
            (end, kept) = self.end_of_lines(lines, count);
            carried = count - kept;
        }
        self.carry.extend_from_slice(&batch.bytes()[end..]);
        self.carry_ready = complete - end;
        self.carry_lines = carried;
        let first_carried = batch.cut.partition_point(|&c| c < end);
        self.carry_cut.extend(batch.cut.drain(first_carried..).map(|c| c - end));
        batch.truncate(end);
    }

    /// Fills `batch` with the next (at most `max_lines`) of the carried complete lines.
    fn hand_out_carried_lines(&mut self, batch: &mut Batch) {
        let (at, ready) = (self.carry_at, self.carry_ready);
        let (len, lines) = self.end_of_lines(&self.carry[at..at + ready], self.carry_lines);
        batch.extend(&self.carry[at..at + len]);
        let cuts = self.carry_cut.partition_point(|&c| c < at + len);
        batch.cut.extend(self.carry_cut.drain(..cuts).map(|c| c - at));
        self.carry_at += len;
        self.carry_ready -= len;
        self.carry_lines -= lines;
    }

    /// The end of the first `max_lines` of `lines` (`count` complete lines), or of all of them,
    /// and how many lines that is.
    ///
    /// Lines are mostly alike, so the share of the bytes that the limit's share of the lines
    /// would take is tried first, cut back to a line end, and counted (a vector pass); a prefix
    /// denser than the whole is shrunk the same way again, each try shorter than the last, and one
    /// line is always within the limit. The few lines that are then missing are found one by one.
    fn end_of_lines(&self, lines: &[u8], count: usize) -> (usize, usize) {
        let (mut end, mut count) = (lines.len(), count);
        while count > self.max_lines {
            let share = (end as u128 * self.max_lines as u128 / count as u128) as usize;
            end = match memchr::memrchr(b'\n', &lines[..share]) {
                Some(nl) => nl + 1,
                None => memchr::memchr(b'\n', lines).expect("complete lines end in a newline") + 1,
            };
            count = memchr::memchr_iter(b'\n', &lines[..end]).count();
        }
        let from = end;
        for nl in memchr::memchr_iter(b'\n', &lines[from..]).take(self.max_lines - count) {
            end = from + nl + 1;
            count += 1;
        }
        (end, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `chunk` bytes per call, as a pipe would.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn frame(input: &[u8], chunk: usize, max_line: usize) -> Vec<(Vec<u8>, bool)> {
        batches(input, chunk, max_line, READ_SIZE).concat()
    }

    /// The lines of each batch, reading `read_size` bytes at a time from a source that returns at
    /// most `chunk` bytes per read.
    fn batches(input: &[u8], chunk: usize, max_line: usize, read_size: usize) -> Vec<Vec<(Vec<u8>, bool)>> {
        let mut f = Framer::new(Trickle(input, chunk), max_line, read_size);
        let mut b = Batch::default();
        let mut out = Vec::new();
        while f.fill(&mut b).unwrap() {
            out.push(b.lines().map(|(l, c)| (l.to_vec(), c)).collect());
        }
        out
    }

    #[test]
    fn a_recycled_batch_is_read_into_without_growing() {
        let line = b"203.0.113.9 - - [22/Nov/2026:12:00:00 +0000] \"GET / HTTP/1.1\" 200 5\n";
        let input = line.repeat(2000);
        let mut f = Framer::new(Trickle(&input, 1000), 1 << 20, 4096);
        let mut b = Batch::default();
        let mut bytes = Vec::new();
        while f.fill(&mut b).unwrap() {
            bytes.extend_from_slice(b.bytes());
            // One read and the unfinished line carried into it, however many batches came before.
            assert!(b.buf.len() <= 4096 + line.len(), "{}", b.buf.len());
        }
        assert_eq!(bytes, input);
    }

    #[test]
    fn any_chunking_frames_like_the_whole_stream() {
        let input = b"one\ntwo\r\n\nthree without newline";
        let whole = frame(input, usize::MAX, 1 << 20);
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[3].0, b"three without newline");
        for chunk in 1..input.len() {
            assert_eq!(frame(input, chunk, 1 << 20), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn long_lines_are_cut_and_the_rest_discarded() {
        let input = b"short\nAAAAAAAAAAAAAAAAAAAA\nnext\nBBBBBBBBBBBB";
        for chunk in [1, 3, 7, 64] {
            let lines = frame(input, chunk, 8);
            assert_eq!(
                lines,
                vec![
                    (b"short\n".to_vec(), false),
                    (b"AAAAAAAA\n".to_vec(), true),
                    (b"next\n".to_vec(), false),
                    (b"BBBBBBBB\n".to_vec(), true),
                ],
                "chunk {chunk}"
            );
        }
    }

    /// A line that arrives in many small reads is searched for newlines once, not once per read:
    /// searching the whole unfinished line at each read made a 1 MiB line in 64-byte reads take
    /// tens of seconds (quadratic in the line's length), and this takes well under one.
    #[test]
    fn a_long_line_in_small_reads_is_framed_in_linear_time() {
        let mut line = vec![b'x'; 1 << 20];
        line.push(b'\n');
        let t = std::time::Instant::now();
        let got = frame(&line, 64, 2 << 20);
        let took = t.elapsed();
        assert!(got.len() == 1 && got[0].0 == line && !got[0].1, "one whole line");
        assert!(took < std::time::Duration::from_secs(5), "framing took {took:?}");
    }

    #[test]
    fn lines_at_the_limit_are_kept_and_one_byte_more_is_cut() {
        for len in 7..=10 {
            let line = "x".repeat(len);
            let cut = len > 8;
            let kept = format!("{}\n", &line[..len.min(8)]).into_bytes();
            for ending in ["\n", ""] {
                // The second line is the last one, finished or not.
                let input = format!("{line}\n{line}{ending}");
                let last = if cut || !ending.is_empty() { kept.clone() } else { line.clone().into_bytes() };
                for chunk in [1, 3, 9, 64] {
                    let want = vec![(kept.clone(), cut), (last.clone(), cut)];
                    assert_eq!(frame(input.as_bytes(), chunk, 8), want, "{len} bytes, {ending:?}, chunk {chunk}");
                }
            }
        }
    }

    /// A source that stops early (the filter's shutdown): its unfinished line comes out cut.
    struct Stopping<'a>(&'a [u8]);
    impl Read for Stopping<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(ErrorKind::UnexpectedEof, "stopped"));
            }
            let n = self.0.len().min(buf.len()).min(5);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_stopped_source_ends_the_input_and_its_unfinished_line_is_cut() {
        for (input, last) in [(&b"one\ntwo jane@exa"[..], Some(b"two jane@exa".to_vec())), (b"one\n", None)] {
            let mut f = Framer::new(Stopping(input), 1 << 20, READ_SIZE);
            let (mut b, mut lines) = (Batch::default(), Vec::new());
            while f.fill(&mut b).unwrap() {
                lines.extend(b.lines().map(|(l, c)| (l.to_vec(), c)));
            }
            let mut expected = vec![(b"one\n".to_vec(), false)];
            expected.extend(last.map(|l| (l, true)));
            assert_eq!(lines, expected);
        }
    }

    /// Short lines fill several batches per read, none over the limit, and they come out in
    /// order with their cut flags wherever the batches end; with reads of 256 bytes the limit is
    /// four lines.
    #[test]
    fn a_batch_holds_at_most_one_line_per_64_bytes_read() {
        let mut input = Vec::new();
        for i in 0..40 {
            let line = if i % 7 == 3 { "x".repeat(12) } else { i.to_string() };
            input.extend_from_slice(line.as_bytes());
            input.push(b'\n');
        }
        input.extend_from_slice(b"end");
        let whole = frame(&input, usize::MAX, 1 << 20);
        assert_eq!(whole.len(), 41);
        for chunk in [1, 5, 64, 256, usize::MAX] {
            let limited = batches(&input, chunk, 8, 256);
            assert!(limited.iter().all(|b| !b.is_empty() && b.len() <= 4), "chunk {chunk}: {limited:?}");
            let lines = limited.concat();
            assert_eq!(lines.len(), 41, "chunk {chunk}");
            for (i, ((got, cut), (want, _))) in lines.iter().zip(&whole).enumerate() {
                let long = want.len() > 9;
                assert_eq!(*cut, long, "line {i}, chunk {chunk}");
                assert_eq!(got, if long { &b"xxxxxxxx\n"[..] } else { &want[..] }, "line {i}, chunk {chunk}");
            }
        }
        // Whole reads of 256 bytes hold 40 lines and the unfinished one: 11 batches of up to 4.
        assert_eq!(batches(&input, usize::MAX, 8, 256).len(), 11);
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(frame(b"", 4, 8).is_empty());
    }
}
