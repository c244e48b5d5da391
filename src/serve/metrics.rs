//! The server's counters: shared atomics, a human summary for stderr (SIGUSR1 and exit), the
//! Prometheus text format, and a minimal HTTP endpoint that serves it.
//!
//! Connection tasks count into their own [`Stats`] while they process a batch and fold it into
//! [`Metrics`] once per batch, so the hot path touches no shared cache line per line. The HTTP
//! endpoint answers every request with the current text and closes; it is not a web server (no
//! keep-alive, no paths), which is all a Prometheus scraper needs.

use crate::process::Stats;
use crate::redact::Rule;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Counters of one server run. All monotonic except the two gauges.
#[derive(Debug, Default)]
pub struct Metrics {
    pub connections: AtomicU64,
    /// Gauge: connections open now.
    pub connections_open: AtomicU64,
    pub udp_datagrams: AtomicU64,
    pub lines_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub lines_out: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Lines over `--max-line` (or cut off mid-frame), emitted cut and marked.
    pub lines_cut: AtomicU64,
    /// Bytes thrown away from over-long lines.
    pub bytes_discarded: AtomicU64,
    /// Lines dropped by `--on-full drop`.
    pub lines_dropped: AtomicU64,
    /// Times a connection in the middle of a long line waited for its turn (`Shared::long_lines`).
    pub long_line_waits: AtomicU64,
    /// Gauge: anonymized bytes waiting for the output.
    pub buffered_bytes: AtomicU64,
    pub forward_connects: AtomicU64,
    pub output_errors: AtomicU64,
    /// Rewrites per rule, by rule index.
    pub redactions: Vec<AtomicU64>,
    /// Each rule's name and category, for labels.
    rules: Vec<(String, String)>,
}

impl Metrics {
    pub fn new(rules: &[Rule]) -> Self {
        Self {
            redactions: rules.iter().map(|_| AtomicU64::new(0)).collect(),
            rules: rules.iter().map(|r| (r.name.clone(), r.category.clone())).collect(),
            ..Self::default()
        }
    }

    /// Folds a batch's counts in and zeroes them (keeping their buffers).
    pub fn absorb(&self, stats: &mut Stats) {
        self.lines_in.fetch_add(stats.lines, Relaxed);
        self.bytes_in.fetch_add(stats.bytes_in, Relaxed);
        self.lines_cut.fetch_add(stats.cut_lines, Relaxed);
        for (i, n) in stats.redactions.per_rule.iter_mut().enumerate() {
            if *n > 0 {
                if let Some(c) = self.redactions.get(i) {
                    c.fetch_add(*n, Relaxed);
                }
                *n = 0;
            }
        }
        let per_rule = std::mem::take(&mut stats.redactions.per_rule);
        *stats = Stats::default();
        stats.redactions.per_rule = per_rule;
    }

    /// Rewrites summed per category, in first-seen order.
    fn by_category(&self) -> Vec<(&str, u64)> {
        let pairs = self.rules.iter().zip(&self.redactions).map(|((_, c), n)| (c.as_str(), n.load(Relaxed)));
        crate::redact::sum_by_category(pairs)
    }

    /// One line for stderr.
    pub fn summary(&self) -> String {
        let g = |c: &AtomicU64| c.load(Relaxed);
        let categories: Vec<String> = self.by_category().iter().map(|(c, n)| format!("{c} {n}")).collect();
        format!(
            "connections {} (open {}), udp datagrams {}, lines in {} out {}, bytes in {} out {}, cut {}, long-line waits {}, dropped {}; redactions: {}",
            g(&self.connections),
            g(&self.connections_open),
            g(&self.udp_datagrams),
            g(&self.lines_in),
            g(&self.lines_out),
            g(&self.bytes_in),
            g(&self.bytes_out),
            g(&self.lines_cut),
            g(&self.long_line_waits),
            g(&self.lines_dropped),
            if categories.is_empty() { "none".into() } else { categories.join(", ") }
        )
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn prometheus(&self) -> String {
        let mut s = String::new();
        let mut one = |name: &str, kind: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}", v.load(Relaxed));
        };
        one("loganon_connections_total", "counter", "TCP connections accepted.", &self.connections);
        one("loganon_connections_open", "gauge", "TCP connections open now.", &self.connections_open);
        one("loganon_udp_datagrams_total", "counter", "UDP datagrams received.", &self.udp_datagrams);
        one("loganon_lines_in_total", "counter", "Lines received and anonymized.", &self.lines_in);
        one("loganon_bytes_in_total", "counter", "Bytes of lines received.", &self.bytes_in);
        one("loganon_lines_out_total", "counter", "Anonymized lines written to the output.", &self.lines_out);
        one("loganon_bytes_out_total", "counter", "Bytes written to the output.", &self.bytes_out);
        one("loganon_lines_cut_total", "counter", "Lines over --max-line, cut and marked.", &self.lines_cut);
        one(
            "loganon_bytes_discarded_total",
            "counter",
            "Bytes dropped unread from over-long lines.",
            &self.bytes_discarded,
        );
        one("loganon_lines_dropped_total", "counter", "Lines dropped by --on-full drop.", &self.lines_dropped);
        one(
            "loganon_long_line_waits_total",
            "counter",
            "Times a connection in the middle of a long line waited for its turn.",
            &self.long_line_waits,
        );
        one("loganon_buffered_bytes", "gauge", "Anonymized bytes waiting for the output.", &self.buffered_bytes);
        one(
            "loganon_forward_connects_total",
            "counter",
            "Connections made to the --forward target.",
            &self.forward_connects,
        );
        one(
            "loganon_output_errors_total",
            "counter",
            "Write errors on the output (each retried for --forward).",
            &self.output_errors,
        );
        let _ = writeln!(s, "# HELP loganon_redactions_total Values rewritten, by rule and category.");
        let _ = writeln!(s, "# TYPE loganon_redactions_total counter");
        for ((rule, category), n) in self.rules.iter().zip(&self.redactions) {
            let _ = writeln!(
                s,
                "loganon_redactions_total{{rule=\"{}\",category=\"{}\"}} {}",
                label(rule),
                label(category),
                n.load(Relaxed)
            );
        }
        s
    }
}

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Serves [`Metrics::prometheus`] over HTTP until `shutdown`.
pub async fn serve(listener: TcpListener, metrics: std::sync::Arc<Metrics>, shutdown: CancellationToken) {
    loop {
        let (mut socket, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("loganon: warning: metrics accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => return,
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            // Read the request head (bounded, with a deadline); its content does not matter.
            let mut head = Vec::with_capacity(1024);
            let read = tokio::time::timeout(Duration::from_secs(5), async {
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                true
            });
            if !matches!(read.await, Ok(true)) {
                return;
            }
            let body = metrics.prometheus();
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
            let _ = socket.shutdown().await;
        });
    }
}
