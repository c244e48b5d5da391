//! `loganon serve`: a TCP (and UDP) sidecar between log collectors. The only place tokio appears.
//!
//! ```text
//! clients --TCP--> accept loop --> connection task: read -> LineCodec -> Processor -> Batch --+
//! datagrams --UDP--> udp task ----------------------------------------------------------------+
//!                                                      byte-bounded queue --> writer --> stdout | file | forward
//! ```
//!
//! - Anonymization is the synchronous [`Processor`](crate::process::Processor) shared by every
//!   task (one `LineScratch` and `Stats` per task), run on the runtime's `--threads` workers:
//!   each read's lines are anonymized at once, so the CPU work spreads over connections and a
//!   connection's lines keep their order (one batch per read, queued in read order).
//! - Framing ([`framing`]) is detected per connection: newline-delimited, or RFC 6587 octet
//!   counting. A line over `--max-line` is cut there, marked and counted, never forwarded raw.
//! - Backpressure ([`output`]): the queue to the one writer holds at most `--buffer-bytes`. When
//!   it is full, connections stop reading, so TCP flow control slows the clients. With
//!   `--on-full drop`, a connection that waited `--full-timeout` drops its batches (counted)
//!   until there is room again; the default is to wait, losing nothing.
//! - Shutdown (SIGTERM/SIGINT), the drain protocol of [`listener::Shared`]: stop accepting; each
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
use tokio::sync::{Notify, Semaphore, mpsc};
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
        let anon = Anonymizer::from_args(&args.anon)?;
        if args.max_connections == 0 {
            return Err(ConfigError::Usage("--max-connections must be at least 1".into()));
        }
        // A batch takes at most this many permits at once (`acquire_many` counts in u32).
        if args.buffer_bytes == 0 || args.buffer_bytes > u32::MAX as usize {
            return Err(ConfigError::Usage("--buffer-bytes must be between 1 and 4294967295".into()));
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
    runtime.block_on(serve(config))
}

async fn bind(addr: &str) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr: addr.into(), source })
}

async fn serve(config: ServeConfig) -> Result<Arc<Metrics>, ServeError> {
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
    // Signal handlers go in before the addresses are announced, so a client that read the
    // announcement can already stop the server cleanly.
    let sig = |kind| signal(kind).map_err(ServeError::Runtime);
    let (mut term, mut int, mut usr1, mut hup) = (
        sig(SignalKind::terminate())?,
        sig(SignalKind::interrupt())?,
        sig(SignalKind::user_defined1())?,
        sig(SignalKind::hangup())?,
    );

    for l in &listeners {
        eprintln!("loganon: listening on {}", l.local_addr().map_err(ServeError::Runtime)?);
    }
    if let Some(u) = &udp {
        eprintln!("loganon: listening on udp {}", u.local_addr().map_err(ServeError::Runtime)?);
    }
    if let Some(m) = &metrics_listener {
        eprintln!("loganon: metrics on {}", m.local_addr().map_err(ServeError::Runtime)?);
    }

    let processor = Arc::new(config.anon.processor);
    let metrics = Arc::new(Metrics::new(processor.engine().rules()));
    let shutdown = CancellationToken::new();
    let stop_reading = CancellationToken::new();
    let abort = CancellationToken::new();
    let reopen = Arc::new(Notify::new());
    let space = Arc::new(Semaphore::new(config.buffer_bytes));
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        processor,
        clock: config.anon.clock,
        max_line: config.anon.max_line,
        framing: config.framing,
        on_full: config.on_full,
        idle_timeout: config.idle_timeout,
        metrics: metrics.clone(),
        shutdown: shutdown.clone(),
        stop_reading: stop_reading.clone(),
        space: space.clone(),
        space_total: config.buffer_bytes,
        tx,
    });

    // Signals: the first SIGTERM/SIGINT starts the drain (and arms its deadline), a second one
    // gives up on an output that cannot be written.
    {
        let (metrics, shutdown, stop_reading, abort, reopen) =
            (metrics.clone(), shutdown.clone(), stop_reading.clone(), abort.clone(), reopen.clone());
        let drain_timeout = config.drain_timeout;
        tokio::spawn(async move {
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
                if shutdown.is_cancelled() {
                    eprintln!("loganon: second signal: not waiting for the output any longer");
                    abort.cancel();
                    continue;
                }
                eprintln!("loganon: shutting down: draining connections");
                shutdown.cancel();
                let stop_reading = stop_reading.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(drain_timeout).await;
                    stop_reading.cancel();
                });
            }
        });
    }

    if let Some(l) = metrics_listener {
        tokio::spawn(metrics::serve(l, metrics.clone(), shutdown.clone()));
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
        shutdown.cancel();
        stop_reading.cancel();
        return Err(ServeError::Output(e));
    }
    Ok(metrics)
}
