//! One connection's bytes to log messages: newline-delimited or RFC 6587 octet-counted, told
//! apart on the connection's first bytes. Never sees rules or formats.
//!
//! [`LineCodec`] is a tokio-util [`Decoder`]: it checks that a whole frame is buffered before it
//! takes it and answers `Ok(None)` for incomplete input, so any split of the stream into reads
//! gives the same frames. A [`Frame`] is a message without its framing; `cut` marks a message
//! that was longer than the limit (only its first `max_line` bytes are kept; the rest is
//! discarded as it arrives, never stored) or that the client cut off mid-frame.
//!
//! Detection: a connection whose first bytes are `NONZERO-DIGIT *DIGIT SP <` is octet-counted (a
//! syslog message, which starts with its `<PRI>`, behind its length); anything else is
//! newline-delimited. The `<` matters: plain log lines often start with digits (an access log
//! starts with the client address), and rsyslog's own rule (a leading digit means octet
//! counting) would misread them. Within an octet-counted connection a frame that does not start
//! with a length is read up to its newline, as rsyslog's imtcp does, and newlines between frames
//! are skipped.

use std::io;
use tokio_util::bytes::{Buf, BytesMut};
use tokio_util::codec::Decoder;

/// One message, without its framing (a newline-delimited message keeps its `\n` or `\r\n`).
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub data: BytesMut,
    /// Cut at the length limit, or cut off by the client mid-frame: emit only a safe prefix.
    pub cut: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Not enough bytes yet to tell.
    Unknown,
    Lf,
    Octet,
}

/// The longest length prefix read (ten digits is over 9 GB).
const MAX_LEN_DIGITS: usize = 10;

/// Frames one connection's byte stream.
#[derive(Debug)]
pub struct LineCodec {
    max_line: usize,
    mode: Mode,
    /// Bytes still to throw away: the unkept rest of an over-long octet-counted frame.
    skip: u64,
    /// Throwing away the rest of an over-long newline-delimited line, up to its newline.
    discarding: bool,
    /// Where the search for the next newline resumes (bytes before it hold none).
    scanned: usize,
    /// Bytes thrown away from over-long messages.
    pub discarded: u64,
    /// The input ends on a message boundary (a datagram), so what is left at its end is a whole
    /// line; on a connection it is a line the end of the connection cut short.
    whole_at_end: bool,
}

/// How the buffered bytes start, for detection and for each octet-counted frame.
enum Prefix {
    /// `LEN SP` with the length and the prefix's size.
    Length(u64, usize),
    /// Not a length prefix.
    No,
    /// Too few bytes to tell.
    Partial,
}

/// Reads `NONZERO-DIGIT *DIGIT SP`; with `need_pri`, a `<` must follow the space.
fn length_prefix(b: &[u8], need_pri: bool) -> Prefix {
    match b.first() {
        None => return Prefix::Partial,
        Some(b'1'..=b'9') => {}
        Some(_) => return Prefix::No,
    }
    let digits = b.iter().take(MAX_LEN_DIGITS + 1).take_while(|c| c.is_ascii_digit()).count();
    if digits > MAX_LEN_DIGITS {
        return Prefix::No;
    }
    match b.get(digits) {
        None => return Prefix::Partial,
        Some(b' ') => {}
        Some(_) => return Prefix::No,
    }
    if need_pri {
        match b.get(digits + 1) {
            None => return Prefix::Partial,
            Some(b'<') => {}
            Some(_) => return Prefix::No,
        }
    }
    let len = b[..digits].iter().fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
    Prefix::Length(len, digits + 1)
}

impl LineCodec {
    pub fn new(max_line: usize) -> Self {
        Self {
            max_line: max_line.max(1),
            mode: Mode::Unknown,
            skip: 0,
            discarding: false,
            scanned: 0,
            discarded: 0,
            whole_at_end: false,
        }
    }

    /// A codec for one datagram: newline-delimited lines, the last one whole without its newline.
    pub fn datagram(max_line: usize) -> Self {
        Self { mode: Mode::Lf, whole_at_end: true, ..Self::new(max_line) }
    }

    /// Drops bytes owed to an over-long frame. Returns false if more input is needed.
    fn skip_discarded(&mut self, buf: &mut BytesMut) -> bool {
        if self.skip > 0 {
            let n = self.skip.min(buf.len() as u64);
            buf.advance(n as usize);
            self.skip -= n;
            self.discarded += n;
            if self.skip > 0 {
                return false;
            }
        }
        if self.discarding {
            match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    buf.advance(i + 1);
                    self.discarded += i as u64 + 1;
                    self.discarding = false;
                }
                None => {
                    self.discarded += buf.len() as u64;
                    buf.clear();
                    return false;
                }
            }
        }
        true
    }

    /// The next newline-delimited line, cut if it grows past the limit.
    fn decode_lf(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        let from = self.scanned.min(buf.len());
        match memchr::memchr(b'\n', &buf[from..]) {
            Some(i) => {
                let end = from + i + 1;
                self.scanned = 0;
                if end - 1 > self.max_line {
                    let data = buf.split_to(self.max_line);
                    let rest = end - self.max_line;
                    buf.advance(rest);
                    self.discarded += rest as u64;
                    return Some(Frame { data, cut: true });
                }
                Some(Frame { data: buf.split_to(end), cut: false })
            }
            None if buf.len() > self.max_line => {
                let data = buf.split_to(self.max_line);
                self.discarded += buf.len() as u64;
                buf.clear();
                self.discarding = true;
                self.scanned = 0;
                Some(Frame { data, cut: true })
            }
            None => {
                self.scanned = buf.len();
                None
            }
        }
    }

    /// The next octet-counted frame (or, without a length prefix, the next line).
    fn decode_octet(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        if self.scanned == 0 {
            // Newlines between frames (some senders add one after each frame) carry nothing.
            let blank = buf.iter().take_while(|c| matches!(c, b'\n' | b'\r')).count();
            buf.advance(blank);
        }
        match length_prefix(buf, false) {
            Prefix::Partial => None,
            Prefix::No => self.decode_lf(buf),
            Prefix::Length(len, head) => {
                let keep = (len as usize).min(self.max_line);
                if buf.len() < head + keep {
                    return None;
                }
                buf.advance(head);
                let mut data = buf.split_to(keep);
                let rest = len - keep as u64;
                if rest > 0 {
                    self.skip = rest;
                    self.skip_discarded(buf);
                    return Some(Frame { data, cut: true });
                }
                // The newline some senders put inside the count is framing, not content.
                if data.ends_with(b"\n") {
                    data.truncate(data.len() - 1);
                }
                Some(Frame { data, cut: false })
            }
        }
    }
}

impl Decoder for LineCodec {
    type Item = Frame;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<Frame>> {
        if !self.skip_discarded(buf) {
            return Ok(None);
        }
        if self.mode == Mode::Unknown {
            self.mode = match length_prefix(buf, true) {
                Prefix::Partial => return Ok(None),
                Prefix::No => Mode::Lf,
                Prefix::Length(..) => Mode::Octet,
            };
        }
        Ok(match self.mode {
            Mode::Octet => self.decode_octet(buf),
            _ => self.decode_lf(buf),
        })
    }

    /// At the end of the stream: the complete frames, then what is left as a last message. A
    /// last line without a newline is a line; an octet-counted frame cut off before its length
    /// arrived is marked cut, since a value may straddle where it stops.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<Frame>> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        if !self.skip_discarded(buf) || buf.is_empty() {
            return Ok(None);
        }
        self.scanned = 0;
        // On a connection, whatever is left was cut off by its end: an octet-counted frame short
        // of its length, or a line without its newline. Either may end inside a value
        // (`jane@exa`), so it is emitted as a cut line (see `Processor::line`), never as a whole
        // one. A datagram's last line is whole.
        let mut cut = !self.whole_at_end;
        if self.mode == Mode::Octet {
            if let Prefix::Length(_, head) = length_prefix(buf, false) {
                buf.advance(head);
                cut = true;
            }
        }
        let data = buf.split_to(buf.len());
        if data.is_empty() {
            return Ok(None);
        }
        Ok(Some(Frame { data, cut }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames `input` fed `chunk` bytes at a time, then the end of the stream.
    fn frames(input: &[u8], chunk: usize, max_line: usize) -> Vec<(Vec<u8>, bool)> {
        let mut codec = LineCodec::new(max_line);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for part in input.chunks(chunk.max(1)) {
            buf.extend_from_slice(part);
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                out.push((f.data.to_vec(), f.cut));
            }
        }
        while let Some(f) = codec.decode_eof(&mut buf).unwrap() {
            out.push((f.data.to_vec(), f.cut));
        }
        out
    }

    fn same_for_every_chunking(input: &[u8], max_line: usize) -> Vec<(Vec<u8>, bool)> {
        let whole = frames(input, input.len(), max_line);
        for chunk in 1..input.len() {
            assert_eq!(frames(input, chunk, max_line), whole, "chunk {chunk}");
        }
        whole
    }

    fn line(s: &str) -> (Vec<u8>, bool) {
        (s.as_bytes().to_vec(), false)
    }

    #[test]
    fn newline_delimited_including_lines_that_start_with_digits() {
        let input = b"203.0.113.7 - - x\n200 OK\r\n\nlast without newline";
        assert_eq!(
            same_for_every_chunking(input, 1 << 20),
            // The connection ended before the last newline: that line may be truncated, so it is cut.
            vec![line("203.0.113.7 - - x\n"), line("200 OK\r\n"), line("\n"), (b"last without newline".to_vec(), true)]
        );
    }

    #[test]
    fn octet_counted_frames_may_hold_newlines_and_mix_with_lines() {
        let input = b"12 <13>1 hello\n16 <13>1 two\nlines\n\n5 <1>xy<13>plain line\n";
        assert_eq!(
            same_for_every_chunking(input, 1 << 20),
            vec![line("<13>1 hello"), line("<13>1 two\nlines"), line("<1>xy"), line("<13>plain line\n")]
        );
    }

    #[test]
    fn over_long_messages_are_cut_and_their_rest_discarded() {
        let input = b"short\nAAAAAAAAAAAAAAAAAAAA\nnext\nBBBBBBBBBBBB";
        assert_eq!(
            same_for_every_chunking(input, 8),
            vec![line("short\n"), (b"AAAAAAAA".to_vec(), true), line("next\n"), (b"BBBBBBBB".to_vec(), true)]
        );
        let input = b"20 <13>xxxxxxxxxxxxxxxx7 <13>abc";
        assert_eq!(same_for_every_chunking(input, 8), vec![(b"<13>xxxx".to_vec(), true), line("<13>abc")]);
    }

    #[test]
    fn a_frame_cut_off_by_the_client_is_marked_cut() {
        assert_eq!(
            same_for_every_chunking(b"7 <13>abc5 <1>x", 1 << 20),
            vec![line("<13>abc"), (b"<1>x".to_vec(), true)]
        );
    }

    #[test]
    fn the_discarded_byte_count_is_exact() {
        let mut codec = LineCodec::new(4);
        let mut buf = BytesMut::from(&b"abcdefgh\nij\n"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap().data, &b"abcd"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap().data, &b"ij\n"[..]);
        assert_eq!(codec.discarded, 5);
    }
}
