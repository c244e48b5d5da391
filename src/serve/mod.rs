//! `loganon serve`: a TCP (and UDP) sidecar between log collectors. The only place tokio appears.
//!
//! ```text
//! clients --TCP--> accept loop --> connection task: read -> LineCodec -> Processor -> Batch --+
//! datagrams --UDP--> udp task ----------------------------------------------------------------+
//!                                                      byte-bounded queue --> writer --> stdout | file | forward
//! ```
//!
//! - Anonymization is the synchronous [`Processor`](crate::process::Processor) shared by every
//!   task (each task has its `Stats`, and borrows a `LineScratch` from a pool while it
//!   anonymizes a read's lines), run on the runtime's `--threads` workers:
//!   each read's lines are anonymized at once, so the CPU work spreads over connections and a
//!   connection's lines keep their order (one batch per read, queued in read order).
//! - Framing ([`framing`]) is detected per connection: newline-delimited, or RFC 6587 octet
//!   counting. A line over `--max-line` is cut there, marked and counted, never forwarded raw.
//! - Backpressure ([`output`]): the queue to the one writer holds at most `--buffer-bytes`. When
//!   it is full, connections stop reading, so TCP flow control slows the clients. With
//!   `--on-full drop`, a connection that waited `--full-timeout` drops its batches (counted)
//!   until there is room again; the default is to wait, losing nothing. Connections in the
//!   middle of a long line take turns ([`listener::Shared::long_lines`]), so that many clients
//!   sending long lines at once cannot make the server hold a long line's buffer for each.
//! - Shutdown is injected into [`Server::run`] as a future (in the binary: the first SIGTERM or
//!   SIGINT); then comes the drain protocol of [`listener::Shared`]: stop accepting; each
//!   connection reads on while its client is still sending (until EOF, a short silence, or
//!   `--drain-timeout`), anonymizes every line it read, the last partial one included, and queues
//!   it; the writer writes everything queued, flushes, and the process exits 0. A line the server
//!   read is a line it writes. A second signal stops waiting for an unreachable `--forward`
//!   target and exits 1.
//! - Signals also: SIGUSR1 prints the counters ([`metrics`]) to stderr; SIGHUP reopens
//!   `--output` (logrotate). `--metrics ADDR` serves the counters in Prometheus text format.
//!
//! Every bound address is printed on stderr once all are bound, one line each, in a fixed form
//! for scripts and tests: `loganon: listening on ADDR` (TCP), `loganon: listening on udp ADDR`,
//! `loganon: metrics on ADDR`.

pub mod framing;
pub mod listener;
pub mod metrics;
pub mod output;

use crate::cli::{ForwardFramingArg, OnFullArg, ServeArgs};
use crate::config::{Anonymizer, ConfigError};
use listener::Shared;
use metrics::Metrics;
use output::{Output, Target};
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Framing of the lines written to the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwardFraming {
    Lf,
    OctetCounting,
}

/// What a connection does when the output buffer is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFull {
    /// Wait for room, however long.
    Block,
    /// Wait up to `after`, then drop batches (counted) until there is room.
    Drop { after: Duration },
}

/// A validated `serve` run.
pub struct ServeConfig {
    pub anon: Anonymizer,
    pub listen: Vec<String>,
    pub udp: Option<String>,
    pub target: Target,
    pub framing: ForwardFraming,
    pub max_connections: usize,
    pub idle_timeout: Option<Duration>,
    pub buffer_bytes: usize,
    pub on_full: OnFull,
    pub drain_timeout: Duration,
    pub metrics: Option<String>,
}

impl ServeConfig {
    pub fn from_args(args: ServeArgs) -> Result<Self, ConfigError> {
        let anon = Anonymizer::from_args(&args.anon, false)?;
        if args.max_connections == 0 {
            return Err(ConfigError::Usage("--max-connections must be at least 1".into()));
        }
        // A batch takes at most this many permits at once (`acquire_many` counts in u32).
        if args.buffer_bytes == 0 || args.buffer_bytes > u32::MAX as usize {
            return Err(ConfigError::Usage("--buffer-bytes must be between 1 and 4294967295".into()));
        }
        for addr in &args.listen {
            check_address("--listen", addr)?;
        }
        for (flag, addr) in [("--udp", &args.udp), ("--forward", &args.forward), ("--metrics", &args.metrics)] {
            if let Some(addr) = addr {
                check_address(flag, addr)?;
            }
        }
        let target = match (args.output, args.forward) {
            (Some(path), _) => Target::File(path),
            (None, Some(addr)) => Target::Forward(addr),
            (None, None) => Target::Stdout,
        };
        Ok(Self {
            anon,
            listen: args.listen,
            udp: args.udp,
            target,
            framing: match args.forward_framing {
                ForwardFramingArg::Lf => ForwardFraming::Lf,
                ForwardFramingArg::OctetCounting => ForwardFraming::OctetCounting,
            },
            max_connections: args.max_connections,
            idle_timeout: (args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout)),
            buffer_bytes: args.buffer_bytes,
            on_full: match args.on_full {
                OnFullArg::Block => OnFull::Block,
                OnFullArg::Drop => OnFull::Drop { after: Duration::from_secs(args.full_timeout) },
            },
            drain_timeout: Duration::from_secs(args.drain_timeout),
            metrics: args.metrics,
        })
    }
}

/// A usage error unless `addr` is `HOST:PORT` (`[v6]:PORT` for IPv6); whether the host resolves
/// and the port can be bound is found out when binding or connecting.
fn check_address(flag: &str, addr: &str) -> Result<(), ConfigError> {
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(ConfigError::Usage(format!("{flag} '{addr}' is not HOST:PORT (e.g. 127.0.0.1:5140)"))),
    }
}

/// Why a run failed: exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: io::Error },
    #[error("output: {0}")]
    Output(io::Error),
    #[error("{0}")]
    Runtime(io::Error),
}

/// Runs the server until SIGTERM/SIGINT and the drain. Returns the final counters.
pub fn run(config: ServeConfig) -> Result<Arc<Metrics>, ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.anon.threads)
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        // Signal handlers go in before the addresses are announced, so a client that read the
        // announcement can already stop the server cleanly.
        let stop = signals(server.metrics.clone(), server.reopen.clone(), server.abort.clone())?;
        for line in server.announcement().map_err(ServeError::Runtime)? {
            eprintln!("{line}");
        }
        server
            .run(async move {
                let _ = stop.await;
            })
            .await
    })
}

/// Installs the signal handlers. The returned receiver fires on the first SIGTERM/SIGINT; a
/// second one cancels `abort` (stop waiting for an output that cannot be written). SIGUSR1
/// prints the counters, SIGHUP reopens the output file.
fn signals(
    metrics: Arc<Metrics>,
    reopen: Arc<Notify>,
    abort: CancellationToken,
) -> Result<oneshot::Receiver<()>, ServeError> {
    let sig = |kind| signal(kind).map_err(ServeError::Runtime);
    let (mut term, mut int, mut usr1, mut hup) = (
        sig(SignalKind::terminate())?,
        sig(SignalKind::interrupt())?,
        sig(SignalKind::user_defined1())?,
        sig(SignalKind::hangup())?,
    );
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let mut first = Some(tx);
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = usr1.recv() => {
                    eprintln!("loganon: {}", metrics.summary());
                    continue;
                }
                _ = hup.recv() => {
                    reopen.notify_one();
                    continue;
                }
            }
            match first.take() {
                Some(tx) => {
                    let _ = tx.send(());
                }
                None => {
                    eprintln!("loganon: second signal: not waiting for the output any longer");
                    abort.cancel();
                }
            }
        }
    });
    Ok(rx)
}

async fn bind(addr: &str) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr: addr.into(), source })
}

/// A server with its sockets bound and its output open, not yet accepting.
pub struct Server {
    config: ServeConfig,
    listeners: Vec<TcpListener>,
    udp: Option<UdpSocket>,
    metrics_listener: Option<TcpListener>,
    output: Output,
    /// The counters, live while the server runs.
    pub metrics: Arc<Metrics>,
    /// Notify to reopen a file output (SIGHUP).
    pub reopen: Arc<Notify>,
    /// Cancel to stop waiting for an output that cannot be written; the run then fails.
    pub abort: CancellationToken,
}

impl Server {
    /// Binds every address and opens the output: all the ways to fail before serving.
    pub async fn bind(config: ServeConfig) -> Result<Self, ServeError> {
        let mut listeners = Vec::new();
        for addr in &config.listen {
            listeners.push(bind(addr).await?);
        }
        let udp = match &config.udp {
            Some(addr) => {
                Some(UdpSocket::bind(addr).await.map_err(|source| ServeError::Bind { addr: addr.clone(), source })?)
            }
            None => None,
        };
        let metrics_listener = match &config.metrics {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let output = Output::open(&config.target).await.map_err(ServeError::Output)?;
        let metrics = Arc::new(Metrics::new(config.anon.processor.engine().rules()));
        Ok(Self {
            config,
            listeners,
            udp,
            metrics_listener,
            output,
            metrics,
            reopen: Arc::new(Notify::new()),
            abort: CancellationToken::new(),
        })
    }

    /// The documented stderr lines naming every bound address.
    pub fn announcement(&self) -> io::Result<Vec<String>> {
        let mut lines = Vec::new();
        for l in &self.listeners {
            lines.push(format!("loganon: listening on {}", l.local_addr()?));
        }
        if let Some(u) = &self.udp {
            lines.push(format!("loganon: listening on udp {}", u.local_addr()?));
        }
        if let Some(m) = &self.metrics_listener {
            lines.push(format!("loganon: metrics on {}", m.local_addr()?));
        }
        Ok(lines)
    }

    /// Serves until `shutdown` completes, then drains (see the module docs) and returns the
    /// final counters once every line read has been written and flushed.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<Arc<Metrics>, ServeError> {
        let Server { config, listeners, udp, metrics_listener, output, metrics, reopen, abort } = self;
        let shutting_down = CancellationToken::new();
        let stop_reading = CancellationToken::new();
        let space = Arc::new(Semaphore::new(config.buffer_bytes));
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            processor: Arc::new(config.anon.processor),
            clock: config.anon.clock,
            max_line: config.anon.max_line,
            framing: config.framing,
            on_full: config.on_full,
            idle_timeout: config.idle_timeout,
            metrics: metrics.clone(),
            shutdown: shutting_down.clone(),
            stop_reading: stop_reading.clone(),
            space: space.clone(),
            space_total: config.buffer_bytes,
            scratches: listener::ScratchPool::default(),
            line_share: config.buffer_bytes / config.anon.threads.max(1),
            long_lines: Arc::new(Semaphore::new(listener::LONG_LINES_MEMORY)),
            long_line_charge: listener::long_line_charge(config.anon.max_line),
            tx,
        });
        {
            // The drain starts when `shutdown` completes and its deadline is armed then.
            let (shutting_down, stop_reading) = (shutting_down.clone(), stop_reading.clone());
            let drain_timeout = config.drain_timeout;
            tokio::spawn(async move {
                shutdown.await;
                eprintln!("loganon: shutting down: draining connections");
                shutting_down.cancel();
                tokio::time::sleep(drain_timeout).await;
                stop_reading.cancel();
            });
        }
        if let Some(l) = metrics_listener {
            tokio::spawn(metrics::serve(l, metrics.clone(), shutting_down.clone()));
        }
        let limit = Arc::new(Semaphore::new(config.max_connections));
        for l in listeners {
            tokio::spawn(listener::accept_loop(l, shared.clone(), limit.clone()));
        }
        if let Some(u) = udp {
            tokio::spawn(listener::udp_loop(u, shared.clone()));
        }
        // From here on only the tasks hold senders: the writer ends when the last one is done.
        drop(shared);
        let written = output::run(output, rx, space, metrics.clone(), reopen, abort).await;
        if let Err(e) = written {
            shutting_down.cancel();
            stop_reading.cancel();
            return Err(ServeError::Output(e));
        }
        Ok(metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{AnonArgs, FormatArg};
    use tokio::io::AsyncWriteExt;

    fn config(output: &std::path::Path) -> ServeConfig {
        let anon = Anonymizer::from_args(
            &AnonArgs {
                ip_mode: None,
                key_file: None,
                now: Some("2026-11-22T12:00:00Z".into()),
                rules: Vec::new(),
                threads: Some(1),
                max_line: 1 << 20,
                format: FormatArg::Auto,
                tag_retention: false,
            },
            false,
        )
        .unwrap();
        ServeConfig {
            anon,
            listen: vec!["127.0.0.1:0".into()],
            udp: None,
            target: Target::File(output.to_owned()),
            framing: ForwardFraming::Lf,
            max_connections: 4,
            idle_timeout: None,
            buffer_bytes: 1 << 16,
            on_full: OnFull::Block,
            drain_timeout: Duration::from_secs(30),
            metrics: None,
        }
    }

    /// Shutdown is a future handed to `run`: no signals needed to test the drain in-process.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_injected_shutdown_drains_an_open_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.log");
        let server = Server::bind(config(&path)).await.unwrap();
        let addr = server.listeners[0].local_addr().unwrap();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let running = tokio::spawn(server.run(async move {
            let _ = stop_rx.await;
        }));
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        for i in 0..100 {
            client.write_all(format!("n{i} 203.0.113.{i}\n").as_bytes()).await.unwrap();
        }
        client.write_all(b"tail 198.51.100.1").await.unwrap();
        stop_tx.send(()).unwrap();
        let metrics = running.await.unwrap().unwrap();
        let out = std::fs::read_to_string(&path).unwrap();
        let mut expected: String =
            (0..100).map(|i| format!("n{i} 203.0.113.0 expires_at=2026-12-22T12:00:00Z\n")).collect();
        // The client never finished its last line: it is cut (fail closed), not written whole.
        expected.push_str("tail [loganon:cut] expires_at=2026-12-22T12:00:00Z\n");
        assert_eq!(out, expected);
        assert_eq!(metrics.lines_out.load(std::sync::atomic::Ordering::Relaxed), 101);
        drop(client);
    }
}
