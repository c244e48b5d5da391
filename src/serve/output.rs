//! The one writer: anonymized batches from every connection to stdout, a file or a downstream
//! collector, in the order they were queued.
//!
//! [`Batch`]es arrive on a channel whose memory is bounded by a byte [`Semaphore`]: a connection
//! takes permits for a batch's bytes before queueing it, and the permits travel with the batch
//! and are released only once the writer has written it. So a slow or absent output fills the
//! buffer, the connections wait for permits and stop reading, and TCP flow control slows the
//! clients; nothing grows without bound. The writer flushes whenever the queue is empty, so a
//! quiet stream is not held back.
//!
//! A file is opened for appending and reopened on request (SIGHUP, after logrotate moved it). A
//! forward target is connected lazily and reconnected with exponential backoff; a batch whose
//! write failed is written again whole on the new connection, so delivery downstream is
//! at-least-once across reconnects (lines of that batch the old connection had carried may
//! arrive twice), and never lossy.

use super::metrics::Metrics;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

/// Anonymized lines of one connection, ready to write.
#[derive(Debug)]
pub struct Batch {
    pub data: Vec<u8>,
    pub lines: u64,
    /// The buffer space the batch holds; released when the batch is dropped after writing.
    pub permit: Option<OwnedSemaphorePermit>,
}

/// Where lines go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Stdout,
    /// Appended to; reopened on SIGHUP.
    File(PathBuf),
    /// `HOST:PORT` of a downstream collector.
    Forward(String),
}

/// Shortest and longest wait between attempts to reach the forward target.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

enum Sink {
    Stdout(tokio::io::Stdout),
    File { path: PathBuf, file: tokio::fs::File },
    Forward { addr: String, stream: Option<TcpStream> },
}

async fn open_append(path: &PathBuf) -> io::Result<tokio::fs::File> {
    tokio::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open output {}: {e}", path.display())))
}

/// An opened output. Opening a file fails early (before any client is accepted); a forward
/// target is only reached when the first batch is written.
pub struct Output {
    sink: Sink,
}

impl Output {
    pub async fn open(target: &Target) -> io::Result<Self> {
        let sink = match target {
            Target::Stdout => {
                crate::pipes::widen(std::io::stdout());
                Sink::Stdout(tokio::io::stdout())
            }
            Target::File(path) => Sink::File { path: path.clone(), file: open_append(path).await? },
            Target::Forward(addr) => Sink::Forward { addr: addr.clone(), stream: None },
        };
        Ok(Self { sink })
    }

    /// Writes one batch. For a forward target, retries (reconnecting with backoff) until it is
    /// written or `abort` is cancelled.
    async fn write(&mut self, data: &[u8], metrics: &Metrics, abort: &CancellationToken) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(out) => out.write_all(data).await,
            Sink::File { file, .. } => file.write_all(data).await,
            Sink::Forward { addr, stream } => {
                let mut backoff = BACKOFF_MIN;
                loop {
                    if stream.is_none() {
                        match TcpStream::connect(addr.as_str()).await {
                            Ok(s) => {
                                metrics.forward_connects.fetch_add(1, Relaxed);
                                *stream = Some(s);
                            }
                            Err(e) => {
                                metrics.output_errors.fetch_add(1, Relaxed);
                                if backoff == BACKOFF_MIN {
                                    eprintln!("loganon: warning: cannot reach --forward {addr}: {e}; retrying");
                                }
                            }
                        }
                    }
                    if let Some(s) = stream {
                        match s.write_all(data).await {
                            Ok(()) => return Ok(()),
                            Err(e) => {
                                metrics.output_errors.fetch_add(1, Relaxed);
                                eprintln!("loganon: warning: --forward {addr}: {e}; reconnecting");
                                *stream = None;
                            }
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = abort.cancelled() => {
                            return Err(io::Error::other(format!("--forward {addr} unreachable; stopped waiting")));
                        }
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(out) => out.flush().await,
            Sink::File { file, .. } => file.flush().await,
            // Writes to a socket are not buffered here; a failed flush would surface on the next
            // write anyway.
            Sink::Forward { stream, .. } => {
                if let Some(s) = stream {
                    let _ = s.flush().await;
                }
                Ok(())
            }
        }
    }

    /// Reopens a file output (logrotate moved the old one away); other outputs ignore it.
    async fn reopen(&mut self) -> io::Result<()> {
        if let Sink::File { path, file } = &mut self.sink {
            file.flush().await?;
            *file = open_append(path).await?;
        }
        Ok(())
    }
}

/// The writer task: writes batches until every sender is gone (all connections drained), then
/// flushes. On an error it closes `space`, so connections waiting for room stop waiting.
pub async fn run(
    mut out: Output,
    mut rx: mpsc::UnboundedReceiver<Batch>,
    space: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    reopen: Arc<Notify>,
    abort: CancellationToken,
) -> io::Result<()> {
    let result = async {
        loop {
            let batch = tokio::select! {
                b = rx.recv() => match b {
                    Some(b) => b,
                    None => break,
                },
                _ = reopen.notified() => {
                    out.reopen().await?;
                    continue;
                }
            };
            out.write(&batch.data, &metrics, &abort).await?;
            metrics.lines_out.fetch_add(batch.lines, Relaxed);
            metrics.bytes_out.fetch_add(batch.data.len() as u64, Relaxed);
            metrics.buffered_bytes.fetch_sub(batch.data.len() as u64, Relaxed);
            drop(batch);
            if rx.is_empty() {
                out.flush().await?;
            }
        }
        out.flush().await
    }
    .await;
    if result.is_err() {
        space.close();
        rx.close();
    }
    result
}
