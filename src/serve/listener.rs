//! Accepting clients and reading them: the TCP accept loop, one task per connection, and the UDP
//! receiver. Each turns bytes into frames ([`LineCodec`]), anonymizes them with the shared
//! [`Processor`] into a [`Batch`] (one batch per read, so a connection's lines stay in order),
//! waits for buffer room, and queues the batch for the writer.

use super::framing::{Frame, LineCodec};
use super::metrics::Metrics;
use super::output::Batch;
use super::{ForwardFraming, OnFull};
use crate::config::Clock;
use crate::process::{LONG_LINE, LineScratch, Processor, Stats};
use std::io::{self, Write as _};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::bytes::BytesMut;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;

/// Bytes asked of the socket per read: one read's lines make one batch.
const READ_SIZE: usize = 64 * 1024;

/// What the read buffers of connections in the middle of a long line may hold together (see
/// [`Shared::long_lines`]): three lines of the default `--max-line` (1 MiB) at once, one more
/// than a two-core host anonymizes at a time. A line's read buffer is the part that waits on its
/// client; the buffers of the lines being anonymized are bounded by the runtime's threads.
pub const LONG_LINES_MEMORY: usize = 8 << 20;

/// An unfinished line longer than this makes its connection wait for a turn at a long line
/// before it reads on ([`Shared::long_lines`]). Half a read: a connection waiting for its turn
/// then holds its first read buffer and no more, and a log line is rarely that long.
pub const TURN_AFTER: usize = READ_SIZE / 2;

/// A turn at a long line that ends with a line at least this long hands the memory the line grew
/// back to the system ([`crate::heap`]). Shorter ones do not: trimming after every line of 100 KB
/// cost a third of a connection's throughput, and what they grow is reused by the next turn.
const TRIM_AFTER: usize = 512 << 10;

/// What one long line takes of [`LONG_LINES_MEMORY`] under `max_line` (see
/// [`Shared::long_line_charge`]).
pub fn long_line_charge(max_line: usize) -> u32 {
    (2 * max_line + READ_SIZE).min(LONG_LINES_MEMORY) as u32
}

/// While draining at shutdown, a connection that sent nothing for this long is taken as done.
/// Senders such as rsyslog keep their connection open for good, so waiting for their EOF would
/// make every shutdown last the whole drain timeout.
const DRAIN_QUIET: Duration = Duration::from_millis(300);

/// What every connection task shares. The drain protocol lives in the tokens and the channel:
pub struct Shared {
    pub processor: Arc<Processor>,
    pub clock: Clock,
    pub max_line: usize,
    pub framing: ForwardFraming,
    pub on_full: OnFull,
    /// `None`: connections never time out.
    pub idle_timeout: Option<Duration>,
    pub metrics: Arc<Metrics>,
    /// Cancelled when the shutdown future completes (SIGTERM/SIGINT in the binary): the accept
    /// loops take the connections the kernel already completed, then return, dropping their
    /// listeners, so no new client gets in; each connection switches to draining: it goes on
    /// reading only while its client keeps sending (until EOF, or `DRAIN_QUIET` of silence).
    pub shutdown: CancellationToken,
    /// Cancelled when the drain timeout has passed after `shutdown`: connections stop reading
    /// at once. Either way a connection then anonymizes every complete frame it holds and its
    /// last partial line (as a line), queues them, and ends.
    pub stop_reading: CancellationToken,
    /// Buffer room in bytes; a batch holds its permits until it is written. Closed if the
    /// writer fails, which ends the connections instead of leaving them waiting.
    pub space: Arc<Semaphore>,
    /// Total permits of `space`.
    pub space_total: usize,
    /// Per-line buffers and caches, lent to a connection while it anonymizes a read's lines.
    pub scratches: ScratchPool,
    /// A scratch's part of the memory budget for per-line buffers after a long line (the
    /// buffer's size over the runtime's threads): see `LineScratch::shrink_after`.
    pub line_share: usize,
    /// Turns to buffer the unfinished part of a long line, in bytes of [`LONG_LINES_MEMORY`]: a
    /// connection whose unfinished line is over [`TURN_AFTER`] takes [`Shared::long_line_charge`]
    /// of them before it reads more, and gives them back once the line is out. Without them, a
    /// thousand clients that each send a line of 1 MB at once would make the server hold a
    /// thousand read buffers of 1 to 2 MB; with them, the others wait their turn, unread, and TCP
    /// flow control holds their clients back. Lines shorter than [`TURN_AFTER`] never wait.
    pub long_lines: Arc<Semaphore>,
    /// What one long line takes of `long_lines`: the most its read buffer grows to, which
    /// doubles as it fills (two `--max-line` and a read), at most all of it.
    pub long_line_charge: u32,
    /// To the writer. Unbounded as a channel because `space` bounds it in bytes, which a count
    /// of batches could not. Each connection task holds a clone; the writer ends, after
    /// flushing, when the last one is dropped, i.e. once every connection has queued its last
    /// batch.
    pub tx: mpsc::UnboundedSender<Batch>,
}

/// The per-line scratches of a server (buffers that grow with the lines, and the caches:
/// pseudonyms, tag texts). A connection takes one when it starts on a read's lines and gives it
/// back before it next waits, so there are about as many as the runtime has threads, whatever
/// the number of connections. Owned by each connection, they made every connection keep its own
/// pseudonym cache of 160 KiB in hash mode (256 connections that each sent a line: 43 MB), and
/// each cache saw only its connection's addresses.
#[derive(Default)]
pub struct ScratchPool(std::sync::Mutex<Vec<LineScratch>>);

impl ScratchPool {
    fn take(&self) -> LineScratch {
        // A scratch holds no invariant a panic could break halfway: a poisoned pool is usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default()
    }

    fn give_back(&self, scratch: LineScratch) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(scratch);
    }
}

/// One reader's anonymization state and the batch it is filling.
struct Reader {
    shared: Arc<Shared>,
    /// Lent by `Shared::scratches` from the first line of a read until the batch is sent.
    scratch: Option<LineScratch>,
    stats: Stats,
    /// One line's output, for octet-counted forwarding.
    line: Vec<u8>,
    batch: Vec<u8>,
    lines: u64,
    /// Under `--on-full drop`: the buffer was full past the timeout; drop until there is room.
    dropping: bool,
}

impl Reader {
    fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            scratch: None,
            stats: Stats::default(),
            line: Vec::new(),
            batch: Vec::new(),
            lines: 0,
            dropping: false,
        }
    }

    /// Anonymizes one frame into the batch. A message holding newlines (possible inside an
    /// octet-counted frame) becomes one line per newline, so every output line is tagged.
    fn frame(&mut self, frame: &Frame, now: i64) {
        let data = &frame.data[..];
        let mut at = 0;
        loop {
            let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i + 1);
            let cut = frame.cut && end == data.len();
            self.one_line(&data[at..end], cut, now);
            at = end;
            if at >= data.len() {
                break;
            }
        }
    }

    /// Anonymizes one line into the batch. After a long line the buffers it grew are freed: the
    /// server lives long, and each scratch would otherwise keep several times the longest line
    /// it ever met.
    fn one_line(&mut self, line: &[u8], cut: bool, now: i64) {
        let p = &self.shared.processor;
        let scratch = self.scratch.get_or_insert_with(|| self.shared.scratches.take());
        self.lines += 1;
        match self.shared.framing {
            ForwardFraming::Lf => {
                p.line(line, cut, now, scratch, &mut self.stats, &mut self.batch);
            }
            ForwardFraming::OctetCounting => {
                self.line.clear();
                p.line(line, cut, now, scratch, &mut self.stats, &mut self.line);
                let mut msg = &self.line[..];
                msg = msg.strip_suffix(b"\n").unwrap_or(msg);
                msg = msg.strip_suffix(b"\r").unwrap_or(msg);
                // Writing to a Vec cannot fail.
                let _ = write!(self.batch, "{} ", msg.len());
                self.batch.extend_from_slice(msg);
                if self.line.capacity() > LONG_LINE {
                    self.line = Vec::new();
                }
            }
        }
        scratch.shrink_after(line.len(), self.shared.line_share);
    }

    /// Queues the batch for the writer, waiting for room (or dropping it, by policy).
    /// Returns false if the writer is gone.
    async fn send(&mut self) -> bool {
        if let Some(scratch) = self.scratch.take() {
            self.shared.scratches.give_back(scratch);
        }
        self.shared.metrics.absorb(&mut self.stats);
        if self.lines == 0 {
            return true;
        }
        let data = std::mem::take(&mut self.batch);
        let lines = std::mem::take(&mut self.lines);
        let n = data.len().min(self.shared.space_total) as u32;
        let space = self.shared.space.clone();
        let permit = match self.shared.on_full {
            OnFull::Block => space.acquire_many_owned(n).await.ok(),
            OnFull::Drop { .. } if self.dropping => match space.try_acquire_many_owned(n) {
                Ok(p) => {
                    self.dropping = false;
                    Some(p)
                }
                Err(tokio::sync::TryAcquireError::Closed) => None,
                Err(tokio::sync::TryAcquireError::NoPermits) => return self.drop_batch(lines),
            },
            OnFull::Drop { after } => match tokio::time::timeout(after, space.acquire_many_owned(n)).await {
                Ok(p) => p.ok(),
                Err(_) => {
                    self.dropping = true;
                    eprintln!(
                        "loganon: warning: output buffer full for {}s; dropping lines (--on-full drop) until there is room",
                        after.as_secs()
                    );
                    return self.drop_batch(lines);
                }
            },
        };
        let Some(permit) = permit else { return false };
        self.shared.metrics.buffered_bytes.fetch_add(data.len() as u64, Relaxed);
        self.shared.tx.send(Batch { data, lines, permit: Some(permit) }).is_ok()
    }

    fn drop_batch(&mut self, lines: u64) -> bool {
        self.shared.metrics.lines_dropped.fetch_add(lines, Relaxed);
        true
    }
}

/// Accepts clients until shutdown, at most `limit` at once (more wait in the accept queue).
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, limit: Arc<Semaphore>) {
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => p.expect("the connection limit is never closed"),
            _ = shared.shutdown.cancelled() => return drain_backlog(listener, shared, limit),
        };
        let socket = tokio::select! {
            r = listener.accept() => match r {
                Ok((socket, _)) => socket,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    eprintln!("loganon: warning: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shared.shutdown.cancelled() => return drain_backlog(listener, shared, limit),
        };
        spawn_connection(socket, &shared, permit);
    }
}

/// At shutdown: takes the connections the kernel already completed (their clients connected,
/// and may have sent lines, before the signal), within the connection limit, then drops the
/// listener so no new client gets in.
fn drain_backlog(listener: TcpListener, shared: Arc<Shared>, limit: Arc<Semaphore>) {
    let std_listener = match listener.into_std() {
        Ok(l) => l,
        Err(_) => return,
    };
    while let Ok(permit) = limit.clone().try_acquire_owned() {
        // The socket is non-blocking: this takes only what is queued.
        let Ok((socket, _)) = std_listener.accept() else { return };
        let socket = match socket.set_nonblocking(true).and_then(|()| TcpStream::from_std(socket)) {
            Ok(s) => s,
            Err(_) => continue,
        };
        spawn_connection(socket, &shared, permit);
    }
}

fn spawn_connection(socket: TcpStream, shared: &Arc<Shared>, permit: tokio::sync::OwnedSemaphorePermit) {
    shared.metrics.connections.fetch_add(1, Relaxed);
    shared.metrics.connections_open.fetch_add(1, Relaxed);
    let shared = shared.clone();
    tokio::spawn(async move {
        if let Err(e) = connection(socket, &shared).await {
            eprintln!("loganon: warning: connection: {e}");
        }
        shared.metrics.connections_open.fetch_sub(1, Relaxed);
        drop(permit);
    });
}

/// Why a read loop stopped.
enum ReadOutcome {
    Bytes(usize),
    /// Idle too long, or draining and quiet or out of time: end as at EOF.
    Stop,
}

/// Reads into `buf`, minding the idle timeout and the drain protocol.
async fn read_some(socket: &mut TcpStream, buf: &mut BytesMut, shared: &Shared) -> io::Result<ReadOutcome> {
    buf.reserve(READ_SIZE);
    if !shared.shutdown.is_cancelled() {
        let idle = async {
            match shared.idle_timeout {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = socket.read_buf(buf) => return r.map(ReadOutcome::Bytes),
            _ = idle => return Ok(ReadOutcome::Stop),
            _ = shared.shutdown.cancelled() => {}
        }
    }
    // Draining: read only what the client is still sending.
    tokio::select! {
        r = tokio::time::timeout(DRAIN_QUIET, socket.read_buf(buf)) => match r {
            Ok(r) => r.map(ReadOutcome::Bytes),
            Err(_) => Ok(ReadOutcome::Stop),
        },
        _ = shared.stop_reading.cancelled() => Ok(ReadOutcome::Stop),
    }
}

/// Waits for a turn to read on into a long line (see [`Shared::long_lines`]). `None` once the
/// drain has run out of time: the connection then stops reading (`read_some` says so at once)
/// and anonymizes what it holds, which is no more than [`TURN_AFTER`] and a read.
async fn long_line_turn(shared: &Shared) -> Option<tokio::sync::OwnedSemaphorePermit> {
    if let Ok(permit) = shared.long_lines.clone().try_acquire_many_owned(shared.long_line_charge) {
        return Some(permit);
    }
    shared.metrics.long_line_waits.fetch_add(1, Relaxed);
    tokio::select! {
        permit = shared.long_lines.clone().acquire_many_owned(shared.long_line_charge) => permit.ok(),
        _ = shared.stop_reading.cancelled() => None,
    }
}

/// One client, from accept to its last line queued.
async fn connection(mut socket: TcpStream, shared: &Arc<Shared>) -> io::Result<()> {
    let mut codec = LineCodec::new(shared.max_line);
    let mut buf = BytesMut::with_capacity(READ_SIZE);
    let mut reader = Reader::new(shared.clone());
    let mut failure = None;
    // This connection's turn at a long line, held from when its unfinished line passes
    // `TURN_AFTER` until the line is out (see `Shared::long_lines`).
    let mut long_line = None;
    loop {
        if buf.len() > TURN_AFTER && long_line.is_none() {
            long_line = long_line_turn(shared).await;
        }
        let n = match read_some(&mut socket, &mut buf, shared).await {
            Ok(ReadOutcome::Bytes(n)) => n,
            Ok(ReadOutcome::Stop) => 0,
            // A reset connection still leaves the lines read before it.
            Err(e) => {
                failure = Some(e);
                0
            }
        };
        let now = shared.clock.now();
        if n == 0 {
            while let Some(frame) = codec.decode_eof(&mut buf)? {
                reader.frame(&frame, now);
            }
            shared.metrics.bytes_discarded.fetch_add(std::mem::take(&mut codec.discarded), Relaxed);
            reader.send().await;
            break;
        }
        let mut longest = 0;
        while let Some(frame) = codec.decode(&mut buf)? {
            longest = longest.max(frame.data.len());
            reader.frame(&frame, now);
        }
        // The buffer grown to hold a long line is let go once the line is out (what follows it
        // moves to a new one), as the scratch buffers are: the connection may stay open for days.
        if longest > LONG_LINE {
            buf = BytesMut::from(&buf[..]);
        }
        if buf.len() <= TURN_AFTER && long_line.take().is_some() && longest >= TRIM_AFTER {
            // What the line grew is free now; with many connections taking turns, the
            // allocator's arenas would otherwise keep the turns' buffers for good.
            crate::heap::return_free_memory();
        }
        shared.metrics.bytes_discarded.fetch_add(std::mem::take(&mut codec.discarded), Relaxed);
        if !reader.send().await {
            return Err(io::Error::other("output failed; closing"));
        }
    }
    match failure {
        Some(e) if e.kind() != io::ErrorKind::ConnectionReset => Err(e),
        _ => Ok(()),
    }
}

/// Receives syslog datagrams until shutdown, then takes what the socket already holds. UDP has
/// no flow control: while the buffer is full, datagrams the kernel cannot queue are lost.
pub async fn udp_loop(socket: UdpSocket, shared: Arc<Shared>) {
    let mut reader = Reader::new(shared.clone());
    let mut buf = vec![0u8; 65536];
    let mut data = BytesMut::new();
    loop {
        let n = tokio::select! {
            r = socket.recv_from(&mut buf) => r.map(|(n, _)| n),
            _ = shared.shutdown.cancelled() => match socket.try_recv_from(&mut buf) {
                Ok((n, _)) => Ok(n),
                Err(_) => break,
            },
        };
        let n = match n {
            Ok(n) => n,
            Err(e) => {
                eprintln!("loganon: warning: udp receive: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        shared.metrics.udp_datagrams.fetch_add(1, Relaxed);
        // A datagram is one or more whole lines: its own stream, ended.
        let mut codec = LineCodec::datagram(shared.max_line);
        data.clear();
        data.extend_from_slice(&buf[..n]);
        let now = shared.clock.now();
        while let Ok(Some(frame)) = codec.decode_eof(&mut data) {
            reader.frame(&frame, now);
        }
        shared.metrics.bytes_discarded.fetch_add(codec.discarded, Relaxed);
        if !reader.send().await {
            break;
        }
    }
}
