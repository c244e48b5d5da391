//! The recipes of `docs/integrations.md`, run for real against programs installed from Debian
//! packages, and the filter's graceful stop that Apache's piped logs depend on.
//!
//! Each recipe is read from the documentation itself (the code block after a
//! `<!-- recipe: NAME -->` marker) and run with only its paths, ports and the binary's location
//! replaced, so a change to the documentation is a change to the test. Every server runs as a
//! child of the test with its own configuration, pid and error-log files in a temporary
//! directory, on loopback ports; none of the system's daemons is needed.
//!
//! A test whose program is not installed is skipped with a message, unless
//! `LOGANON_REQUIRE_INTEGRATIONS=1` (set by `.ci/run`, which installs them), when it fails.
//!
//! Expiry tags are exact: the servers stamp lines with the real time, so the tests pass
//! `--now` a little in the past; an event time later than the clock counts as the clock, so every
//! line the servers log during a test expires at `--now` plus 30 days. Times the servers write
//! themselves are checked for their shape and then masked.
//!
//! - signals: SIGTERM/SIGINT on the filter with its input pipe still open
//! - Apache httpd: `CustomLog "|$exec loganon >> file"`, requests with curl, stop
//! - nginx: `access_log syslog:` to `loganon serve --udp`; `access_log` to a FIFO read by loganon
//! - rsyslog: `omprog` running loganon; `omfwd` to `loganon serve`, forwarding to a second rsyslog
//! - syslog-ng: `program()` running loganon; `network()` to `loganon serve`
//! - logrotate: rotation with `postrotate` SIGHUP while lines flow: none lost or doubled
//! - systemd: `docs/loganon.service` passes `systemd-analyze verify` and `security`
//! - man page and completions

use crate::util::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a server gets to come up, or a line to arrive, on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(20);

/// Synthetic personal data only: a documentation address, an example domain, a test card.
const EMAIL: &str = "jane@example.com";
const CARD: &str = "4111111111111111";
const XFF: &str = "203.0.113.9";

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("loganon")
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The path of `program` if installed (on PATH or in an sbin directory); `None` after printing why
/// the test is skipped, or a panic if `LOGANON_REQUIRE_INTEGRATIONS=1`.
fn require(program: &str, package: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    // The sbin directories may be missing from PATH; .ci/install-integrations unpacks syslog-ng
    // into its own prefix (it conflicts with rsyslog as a package).
    let extra = ["/usr/sbin", "/sbin", "/usr/local/sbin", "/opt/loganon-integrations/bin"].map(PathBuf::from);
    let dirs = path.split(':').filter(|d| !d.is_empty()).map(PathBuf::from).chain(extra);
    let found = dirs.map(|d| d.join(program)).find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("LOGANON_REQUIRE_INTEGRATIONS").as_deref() != Ok("1"),
            "{program} is not installed, and LOGANON_REQUIRE_INTEGRATIONS=1 ({package}: see .ci/install-integrations)"
        );
        eprintln!("skipped: {program} is not installed ({package}: run .ci/install-integrations as root)");
    }
    found
}

/// The clock for a test: `--now` two minutes ago, and the expiry of every line a server logs
/// during the test (`--now` + 30 days, the default retention).
struct Clock {
    now: String,
    expiry: String,
}

fn clock() -> Clock {
    let now = loganon::time::wall_clock() - 120;
    let fmt = |t: i64| {
        let mut b = [0u8; 20];
        loganon::time::format_rfc3339(t, &mut b);
        String::from_utf8(b.to_vec()).unwrap()
    };
    Clock { now: fmt(now), expiry: fmt(now + 30 * 86_400) }
}

/// A recipe of docs/integrations.md: the code block after `<!-- recipe: NAME -->`.
struct Recipe {
    name: &'static str,
    text: String,
}

fn recipe(name: &'static str) -> Recipe {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/integrations.md")).unwrap();
    let marker = format!("<!-- recipe: {name} -->");
    let at = doc.find(&marker).unwrap_or_else(|| panic!("docs/integrations.md has no {marker}"));
    let rest = &doc[at + marker.len()..];
    let fence = rest.find("```").expect("a code block after the marker");
    let body = &rest[fence..];
    let start = body.find('\n').unwrap() + 1;
    let end = body[start..].find("\n```").expect("the end of the code block") + start;
    Recipe { name, text: body[start..=end].to_owned() }
}

impl Recipe {
    /// Replaces `from` by `to`; `from` must be in the recipe (so the documentation cannot drift
    /// from what the test replaces).
    fn with(mut self, from: &str, to: &str) -> Self {
        assert!(self.text.contains(from), "recipe {} no longer contains {from:?}:\n{}", self.name, self.text);
        self.text = self.text.replace(from, to);
        self
    }

    /// The documented binary (`/usr/local/bin/loganon`, or `loganon` at the start of a shell
    /// line), replaced by the one under test, given `--now`.
    fn loganon(mut self, c: &Clock) -> Self {
        const BIN: &str = "\u{0}LOGANON\u{0}";
        let lines: Vec<String> = self
            .text
            .lines()
            .map(|l| match l.strip_prefix("loganon ") {
                Some(rest) => format!("{BIN} {rest}"),
                None => l.replace("/usr/local/bin/loganon", BIN),
            })
            .collect();
        let text = lines.join("\n") + "\n";
        assert!(text.contains(BIN), "recipe {} does not run loganon:\n{}", self.name, self.text);
        let bin = binary().display().to_string();
        self.text = text
            .replace(&format!("{BIN} serve"), &format!("{bin} serve --now {}", c.now))
            .replace(BIN, &format!("{bin} --now {}", c.now));
        self
    }

    /// The words of a one-line shell command (recipes' commands have no quoting).
    fn words(&self) -> Vec<String> {
        assert_eq!(self.text.trim().lines().count(), 1, "recipe {}: one command expected", self.name);
        self.text.split_whitespace().map(String::from).collect()
    }
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits until `path` holds `n` lines, then a little longer to catch any extra one.
fn wait_lines(path: &Path, n: usize, context: impl Fn() -> String) -> String {
    let start = Instant::now();
    loop {
        let got = read(path);
        if got.lines().count() >= n {
            std::thread::sleep(Duration::from_millis(200));
            return read(path);
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{} of {n} lines in {}: {got}\n{}",
            got.lines().count(),
            path.display(),
            context()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_port(port: u16) {
    wait_until(&format!("port {port}"), || TcpStream::connect(("127.0.0.1", port)).is_ok());
}

fn kill(pid: u32, sig: &str) {
    let ok = Command::new("kill").args([&format!("-{sig}"), &pid.to_string()]).status().unwrap().success();
    assert!(ok, "kill -{sig} {pid}");
}

/// A temporary directory that unprivileged server workers (nginx's and Apache's, which drop to
/// `nobody` when started as root) can read.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// A child process stopped with `signal` (then killed) when dropped, with its output in files.
struct Daemon {
    child: Child,
    name: String,
    stop_signal: &'static str,
    log: PathBuf,
}

impl Daemon {
    fn spawn(name: &str, dir: &Path, cmd: &mut Command, stop_signal: &'static str) -> Self {
        let log = dir.join(format!("{name}.stderr"));
        let out = std::fs::File::create(&log).unwrap();
        let child = cmd
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Daemon { child, name: name.into(), stop_signal, log }
    }

    fn output(&self) -> String {
        format!("{} said: {}", self.name, read(&self.log))
    }

    /// Panics, with what it and its `error_log` said, if it has exited.
    fn assert_running(&mut self, error_log: &Path) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("{} exited ({status}): {}\n{}", self.name, self.output(), read(error_log));
        }
    }

    /// Stops it with its stop signal and waits for the exit; returns the exit code.
    fn stop(mut self) -> i32 {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> i32 {
        if let Some(status) = self.child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        kill(self.child.id(), self.stop_signal);
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("{} did not stop on SIG{}: {}", self.name, self.stop_signal, self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = kill_quietly(self.child.id(), self.stop_signal);
            std::thread::sleep(Duration::from_millis(200));
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn kill_quietly(pid: u32, sig: &str) -> bool {
    Command::new("kill").args([&format!("-{sig}"), &pid.to_string()]).status().is_ok_and(|s| s.success())
}

/// A running `loganon serve`, its addresses read from its announcement on stderr.
struct Serve {
    daemon: Daemon,
    tcp: SocketAddr,
    udp: Option<SocketAddr>,
}

impl Serve {
    fn start(dir: &Path, args: &[String]) -> Self {
        let mut cmd = Command::new(&args[0]);
        cmd.args(&args[1..]);
        let daemon = Daemon::spawn("loganon-serve", dir, &mut cmd, "TERM");
        let (mut tcp, mut udp) = (None, None);
        wait_until("loganon serve's announcement", || {
            let err = read(&daemon.log);
            assert!(!err.contains("error"), "{err}");
            for l in err.lines() {
                if let Some(a) = l.strip_prefix("loganon: listening on udp ") {
                    udp = a.parse().ok();
                } else if let Some(a) = l.strip_prefix("loganon: listening on ") {
                    tcp = a.parse().ok();
                }
            }
            tcp.is_some() && (udp.is_some() || !args.iter().any(|a| a == "--udp"))
        });
        Serve { daemon, tcp: tcp.unwrap(), udp }
    }

    /// SIGTERM, then the exit code and stderr.
    fn stop(self) -> (i32, String) {
        let log = self.daemon.log.clone();
        let code = self.daemon.stop();
        (code, read(&log))
    }
}

/// `[22/Nov/2026:10:00:00 +0000]` (an access-log time) -> `[TIME]`, after checking its shape.
fn mask_access_time(line: &str) -> String {
    let (Some(open), Some(close)) = (line.find('['), line.find(']')) else { panic!("no access-log time: {line}") };
    let t = &line[open + 1..close];
    let b = t.as_bytes();
    let shape = t.len() == 26
        && b[2] == b'/'
        && b[6] == b'/'
        && b[11] == b':'
        && b[20] == b' '
        && [0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19, 22, 23, 24, 25].iter().all(|&i| b[i].is_ascii_digit());
    assert!(shape, "not an access-log time: {t:?} in {line}");
    format!("{}[TIME]{}", &line[..open], &line[close + 1..])
}

/// `Nov 22 10:00:00` (an RFC 3164 time) after `prefix` -> `TIME`, after checking its shape.
fn mask_bsd_time(line: &str, prefix: &str) -> String {
    let rest = line.strip_prefix(prefix).unwrap_or_else(|| panic!("no {prefix:?} in {line}"));
    let t = rest.get(..15).unwrap_or_default();
    let b = t.as_bytes();
    let shape = b.len() == 15
        && b[..3].iter().all(u8::is_ascii_alphabetic)
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[9] == b':'
        && b[12] == b':';
    assert!(shape, "not an RFC 3164 time: {t:?} in {line}");
    format!("{prefix}TIME{}", &rest[15..])
}

/// An RFC 3339 time with fraction and offset (`2026-11-22T17:45:01.123456+00:00`) at the start
/// of `s`, up to the next space -> `TIME`, after checking its shape.
fn mask_rfc3339(line: &str, prefix: &str) -> String {
    let rest = line.strip_prefix(prefix).unwrap_or_else(|| panic!("no {prefix:?} in {line}"));
    let end = rest.find(' ').unwrap_or(rest.len());
    let t = &rest[..end];
    assert!(loganon::time::parse_rfc3339(t).is_some(), "not an RFC 3339 time: {t:?} in {line}");
    format!("{prefix}TIME{}", &rest[end..])
}

/// No file under `dir` holds any of the synthetic personal data in clear.
fn assert_nothing_leaked(dir: &Path, except: &[&Path]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if except.contains(&path.as_path()) {
            continue;
        }
        if path.is_dir() {
            assert_nothing_leaked(&path, except);
            continue;
        }
        // Regular files only: opening the FIFO would wait for a writer.
        if !path.is_file() {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        for secret in [EMAIL, CARD, XFF] {
            assert!(!text.contains(secret), "{secret} in clear in {}:\n{text}", path.display());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signals: the filter finishes what it has read

/// Starts the filter on a pipe that the test keeps open; returns it once it has anonymized a
/// first line (so its signal handlers are in place), with a thread collecting its stdout.
fn filter_on_open_pipe(threads: &str) -> (Child, std::process::ChildStdin, std::thread::JoinHandle<String>) {
    let mut child = spawn_piped(&["--now", NOW, "--threads", threads]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    writeln!(stdin, "first 203.0.113.1").unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "first 203.0.113.0 expires_at=2026-12-22T12:00:00Z\n");
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    (child, stdin, rest)
}

#[test]
fn sigterm_on_the_filter_writes_every_line_read_and_exits_0() {
    const TAG: &str = " expires_at=2026-12-22T12:00:00Z";
    for threads in ["1", "2"] {
        let (mut child, mut stdin, rest) = filter_on_open_pipe(threads);
        // More than a pipe holds, so that lines are in every stage when the signal comes: read
        // and in batches, and still in the pipe.
        let n = 20_000;
        let mut input = String::new();
        for i in 0..n {
            input += &format!("line {i} from 198.51.100.{} mail {EMAIL}\n", i % 256);
        }
        input += "unfinished 192.0.2.7 jane@exa";
        stdin.write_all(input.as_bytes()).unwrap();
        stdin.flush().unwrap();
        kill(child.id(), "TERM");
        let started = Instant::now();
        let out = rest.join().unwrap();
        let status = child.wait().unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert_eq!(status.code(), Some(0), "{threads} thread(s): {err}");
        assert!(started.elapsed() < Duration::from_secs(10), "{threads} thread(s): slow stop");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), n + 1, "{threads} thread(s): {err}");
        for (i, l) in lines[..n].iter().enumerate() {
            assert_eq!(*l, format!("line {i} from 198.51.100.0 mail [EMAIL]{TAG}"), "{threads} thread(s)");
        }
        // The writer was stopped mid-line: the line may end inside a value, so it is cut.
        assert_eq!(lines[n], format!("unfinished 192.0.2.0 [loganon:cut]{TAG}"));
        assert!(err.contains("stopped by a signal in the middle of a line"), "{err}");
        assert!(!err.contains("--max-line"), "{err}");
        drop(stdin);
    }
}

#[test]
fn sigint_on_an_idle_filter_ends_it_at_once_with_exit_0() {
    let (mut child, stdin, rest) = filter_on_open_pipe("2");
    std::thread::sleep(Duration::from_millis(100));
    kill(child.id(), "INT");
    let started = Instant::now();
    assert_eq!(rest.join().unwrap(), "");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(stdin);
}

#[test]
fn a_second_signal_gives_up_with_exit_1_when_the_output_does_not_drain() {
    let mut child = Command::new(binary())
        .args(["--now", NOW])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Nobody reads stdout: once its pipe is full, loganon waits to write and stops reading, and
    // then the test's own write blocks; a thread does the writing.
    let written = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = written.clone();
    let writer = std::thread::spawn(move || {
        let chunk = format!("{} 203.0.113.5\n", "x".repeat(100)).repeat(100);
        while stdin.write_all(chunk.as_bytes()).is_ok() {
            counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
        }
    });
    let stdout = child.stdout.take().unwrap();
    // More than the two pipes hold: loganon has been reading, so its handlers are in place.
    wait_until("loganon to read", || written.load(std::sync::atomic::Ordering::Relaxed) > 256 << 10);
    kill(child.id(), "TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "stopped although its output was full");
    kill(child.id(), "TERM");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < PATIENCE, "a second SIGTERM did not end it");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    drop(stdout);
    writer.join().unwrap();
}

// ---------------------------------------------------------------------------------------------
// Web servers

/// The requests every web-server test sends, with curl: (path and query, expected status).
const REQUESTS: [(&str, u16); 2] =
    [("/index.html?email=jane@example.com&card=4111111111111111", 200), ("/missing?user=jane@example.com", 404)];

/// A document root with a 6-byte index.html, readable by the servers' workers.
fn htdocs(dir: &Path) -> PathBuf {
    let root = dir.join("htdocs");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("index.html"), "hello\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(root.join("index.html"), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    root
}

/// Sends `REQUESTS` to `port` with curl, as a client behind a proxy that adds X-Forwarded-For.
fn curl_requests(curl: &Path, port: u16) {
    for (path, status) in REQUESTS {
        let out = Command::new(curl)
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-A", "curl-test", "-H"])
            .arg(format!("X-Forwarded-For: {XFF}"))
            .arg(format!("http://127.0.0.1:{port}{path}"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            status.to_string(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The anonymized access-log lines for `REQUESTS` (time masked), in the `anon` log format.
fn expected_access_lines(prefix: &str, c: &Clock) -> Vec<String> {
    [
        "\"GET /index.html?email=[EMAIL]&card=************1111 HTTP/1.1\" 200 6",
        "\"GET /missing?user=[EMAIL] HTTP/1.1\" 404 SIZE",
    ]
    .iter()
    .map(|r| format!("{prefix}127.0.0.0 - - [TIME] {r} \"-\" \"curl-test\" \"203.0.113.0\" expires_at={}", c.expiry))
    .collect()
}

/// Masks the access-log time and the size of the 404 page (which depends on the server's build).
fn normalize_access_line(line: &str) -> String {
    let line = mask_access_time(line);
    match line.find(" 404 ") {
        Some(i) => {
            let rest = &line[i + 5..];
            let end = rest.find(' ').unwrap();
            assert!(rest[..end].bytes().all(|b| b.is_ascii_digit()), "{line}");
            format!("{} 404 SIZE{}", &line[..i], &rest[end..])
        }
        None => line,
    }
}

fn apache_modules() -> Option<PathBuf> {
    ["/usr/lib/apache2/modules", "/usr/lib/httpd/modules", "/usr/lib64/httpd/modules"]
        .iter()
        .map(PathBuf::from)
        .find(|d| d.join("mod_mpm_event.so").exists())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
fn apache_piped_access_log_is_anonymized_before_it_touches_the_disk() {
    let (Some(apache), Some(curl)) = (require("apache2", "apache2"), require("curl", "curl")) else { return };
    let modules = apache_modules().expect("Apache's mod_mpm_event.so");
    let c = clock();
    let dir = workdir();
    let d = dir.path();
    let root = htdocs(d);
    let out = d.join("access.anon.log");
    let recipe = recipe("apache").loganon(&c).with("/var/log/apache2/access.anon.log", out.to_str().unwrap());
    let port = free_tcp_port();
    // Started as root, Apache's workers drop to an unprivileged user; the piped logger does not.
    let user = if is_root() { "User #65534\nGroup #65534\n" } else { "" };
    let conf = d.join("httpd.conf");
    std::fs::write(
        &conf,
        format!(
            "ServerRoot \"{d}\"\nServerName localhost\nListen 127.0.0.1:{port}\nPidFile \"{d}/httpd.pid\"\n\
             DefaultRuntimeDir \"{d}\"\nErrorLog \"{d}/error.log\"\nLoadModule mpm_event_module {m}/mod_mpm_event.so\n\
             LoadModule authz_core_module {m}/mod_authz_core.so\n{user}DocumentRoot \"{root}\"\n{recipe}",
            d = d.display(),
            m = modules.display(),
            root = root.display(),
            recipe = recipe.text
        ),
    )
    .unwrap();
    let mut httpd =
        Daemon::spawn("apache2", d, Command::new(&apache).arg("-f").arg(&conf).args(["-D", "FOREGROUND"]), "TERM");
    wait_until("Apache to listen", || {
        httpd.assert_running(&d.join("error.log"));
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    curl_requests(&curl, port);
    // Stop at once: the last lines may still be in the pipe or in loganon when Apache sends it
    // SIGTERM; they must come out all the same.
    let context = format!("{}\nerror.log: {}", httpd.output(), read(&d.join("error.log")));
    assert_eq!(httpd.stop(), 0, "{context}");
    let got = wait_lines(&out, REQUESTS.len(), || read(&d.join("error.log")));
    let got: Vec<String> = got.lines().map(normalize_access_line).collect();
    assert_eq!(got, expected_access_lines("", &c));
    assert_nothing_leaked(d, &[]);
    eprintln!("apache:\n{}", read(&out));
}

fn nginx_conf(d: &Path, port: u16, root: &Path, http: &str) -> PathBuf {
    let conf = d.join("nginx.conf");
    let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|t| format!("    {t}_temp_path {}/{t};\n", d.display()))
        .collect();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\nhttp {{\n{temp}{http}\n    server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n",
            d = d.display(),
            root = root.display()
        ),
    )
    .unwrap();
    conf
}

fn start_nginx(nginx: &Path, d: &Path, conf: &Path, port: u16) -> Daemon {
    let mut cmd = Command::new(nginx);
    cmd.arg("-p").arg(d).arg("-c").arg(conf).arg("-e").arg(d.join("error.log"));
    let mut daemon = Daemon::spawn("nginx", d, &mut cmd, "QUIT");
    wait_until("nginx to listen", || {
        daemon.assert_running(&d.join("error.log"));
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    daemon
}

/// The `log_format` statement of the nginx recipes.
fn nginx_log_format() -> String {
    let text = recipe("nginx-syslog").text;
    text[..text.find("access_log").unwrap()].to_owned()
}

#[test]
fn nginx_access_log_over_syslog_udp_to_loganon_serve() {
    let (Some(nginx), Some(curl)) = (require("nginx", "nginx"), require("curl", "curl")) else { return };
    let c = clock();
    let dir = workdir();
    let d = dir.path();
    let root = htdocs(d);
    let out = d.join("anon.log");
    let serve = Serve::start(
        d,
        &recipe("nginx-syslog-serve")
            .loganon(&c)
            .with("127.0.0.1:5140", "127.0.0.1:0")
            .with("127.0.0.1:5514", "127.0.0.1:0")
            .with("/var/log/loganon/anon.log", out.to_str().unwrap())
            .words(),
    );
    let udp = serve.udp.unwrap().to_string();
    let http = recipe("nginx-syslog").with("127.0.0.1:5514", &udp).text;
    let port = free_tcp_port();
    let conf = nginx_conf(d, port, &root, &http);
    let server = start_nginx(&nginx, d, &conf, port);
    curl_requests(&curl, port);
    // Two access lines and the error line of the 404, in the order nginx sent them.
    let got = wait_lines(&out, REQUESTS.len() + 1, || server.output());
    assert_eq!(server.stop(), 0);
    let (code, err) = serve.stop();
    assert_eq!(code, 0, "{err}");
    let (errors, access): (Vec<&str>, Vec<&str>) = got.lines().partition(|l| l.starts_with("<187>"));
    let access: Vec<String> = access.iter().map(|l| normalize_access_line(&mask_bsd_time(l, "<190>"))).collect();
    assert_eq!(access, expected_access_lines("<190>TIME nginx: ", &c));
    assert_eq!(errors.len(), 1, "{got}");
    check_nginx_error_line(&mask_bsd_time(errors[0], "<187>").replace("<187>TIME nginx_error: ", ""), &c);
    assert_nothing_leaked(d, &[]);
    eprintln!("nginx over syslog:\n{}", read(&out));
}

#[test]
fn nginx_access_log_through_a_fifo_read_by_loganon() {
    let (Some(nginx), Some(curl)) = (require("nginx", "nginx"), require("curl", "curl")) else { return };
    let c = clock();
    let dir = workdir();
    let d = dir.path();
    let root = htdocs(d);
    let (fifo, out) = (d.join("access.fifo"), d.join("access.anon.log"));
    let (error_fifo, error_out) = (d.join("error.fifo"), d.join("error.anon.log"));
    let script = recipe("nginx-fifo-loganon")
        .loganon(&c)
        .with("/var/log/nginx/access.fifo", fifo.to_str().unwrap())
        .with("/var/log/nginx/access.anon.log", out.to_str().unwrap())
        .with("/var/log/nginx/error.fifo", error_fifo.to_str().unwrap())
        .with("/var/log/nginx/error.anon.log", error_out.to_str().unwrap());
    let reader = Daemon::spawn("sh", d, Command::new("sh").arg("-c").arg(&script.text), "TERM");
    wait_until("the FIFOs", || {
        std::fs::symlink_metadata(&fifo).is_ok() && std::fs::symlink_metadata(&error_fifo).is_ok()
    });
    let http = nginx_log_format()
        + &recipe("nginx-fifo")
            .with("/var/log/nginx/access.fifo", fifo.to_str().unwrap())
            .with("/var/log/nginx/error.fifo", error_fifo.to_str().unwrap())
            .text;
    let port = free_tcp_port();
    let conf = nginx_conf(d, port, &root, &http);
    let server = start_nginx(&nginx, d, &conf, port);
    curl_requests(&curl, port);
    // `nginx -s reopen` (logrotate's signal for nginx) opens the FIFOs anew before closing them:
    // loganon never sees an end and goes on.
    wait_lines(&out, REQUESTS.len(), || reader.output());
    kill(server.child.id(), "USR1");
    std::thread::sleep(Duration::from_millis(300));
    curl_requests(&curl, port);
    let mut reader = reader;
    assert!(reader.child.try_wait().unwrap().is_none(), "loganon ended on a reopen: {}", reader.output());
    assert_eq!(server.stop(), 0);
    // nginx closed the FIFO: loganon writes what it read and ends by itself, successfully.
    let start = Instant::now();
    let status = loop {
        if let Some(s) = reader.child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < PATIENCE, "loganon did not end when nginx closed the FIFO: {}", reader.output());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{}", reader.output());
    let got: Vec<String> = read(&out).lines().map(normalize_access_line).collect();
    assert_eq!(got, [expected_access_lines("", &c), expected_access_lines("", &c)].concat());
    // The error log's loganon ends with nginx too, in the background of the script.
    let errors = wait_lines(&error_out, 2, || reader.output());
    assert_eq!(errors.lines().count(), 2, "{errors}");
    for line in errors.lines() {
        check_nginx_error_line(line, &c);
    }
    assert_nothing_leaked(d, &[]);
    eprintln!("nginx through FIFOs:\n{}{errors}", read(&out));
}

/// nginx's error line for the 404 of `REQUESTS`, anonymized: its client, host and query string
/// (`2026/11/22 17:45:01 [error] 4242#4242: *3 open() "..." failed ..., client: 127.0.0.0,
/// server: , request: "GET /missing?user=[EMAIL] HTTP/1.1", host: "127.0.0.0:PORT"`).
fn check_nginx_error_line(line: &str, c: &Clock) {
    assert!(line.get(..30).is_some_and(|h| h.contains(" [error] ")), "{line}");
    for want in [
        "/missing\" failed (2: No such file or directory), client: 127.0.0.0, server: , ",
        "request: \"GET /missing?user=[EMAIL] HTTP/1.1\", host: \"127.0.0.0:",
    ] {
        assert!(line.contains(want), "{want:?} not in {line}");
    }
    assert!(line.ends_with(&format!("\" expires_at={}", c.expiry)), "{line}");
}

// ---------------------------------------------------------------------------------------------
// Collectors

/// The lines an application writes to its log file in the collector tests.
const APP_LINES: [&str; 3] = [
    "203.0.113.77 - - [22/Nov/2026:10:00:00 +0000] \"GET /?email=jane@example.com HTTP/1.1\" 200 5",
    "user jane@example.com logged in from 198.51.100.23",
    "payment 4111111111111111 accepted",
];

/// `APP_LINES` anonymized by the filter: the access line expires 30 days after its own time;
/// the others have none and expire 30 days after `--now`.
fn expected_app_lines(c: &Clock) -> Vec<String> {
    vec![
        "203.0.113.0 - - [22/Nov/2026:10:00:00 +0000] \"GET /?email=[EMAIL] HTTP/1.1\" 200 5 expires_at=2026-12-22T10:00:00Z"
            .to_owned(),
        format!("user [EMAIL] logged in from 198.51.100.0 expires_at={}", c.expiry),
        format!("payment ************1111 accepted expires_at={}", c.expiry),
    ]
}

/// The same lines as a syslog message body: the header's time (the collector's clock) is the
/// event time, so all expire 30 days after `--now`.
fn expected_app_messages(c: &Clock) -> Vec<String> {
    expected_app_lines(c)
        .into_iter()
        .map(|l| l.replace("expires_at=2026-12-22T10:00:00Z", &format!("expires_at={}", c.expiry)))
        .collect()
}

fn app_log(d: &Path) -> PathBuf {
    app_log_with(d, &[])
}

/// `APP_LINES`, then `more`, written as the application's log file.
fn app_log_with(d: &Path, more: &[String]) -> PathBuf {
    let path = d.join("app.log");
    let lines = APP_LINES.iter().map(|l| l.to_string()).chain(more.iter().cloned());
    std::fs::write(&path, lines.map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    path
}

/// `rsyslogd -n` with its own configuration in `dir`, checked with `-N1` first.
fn start_rsyslog(rsyslogd: &Path, d: &Path, name: &str, conf: &str) -> Daemon {
    let work = d.join(format!("{name}-work"));
    std::fs::create_dir_all(&work).unwrap();
    let conf = format!("global(workDirectory=\"{}\")\n{conf}", work.display());
    let path = d.join(format!("{name}.conf"));
    std::fs::write(&path, &conf).unwrap();
    let check = Command::new(rsyslogd).args(["-N1", "-f"]).arg(&path).output().unwrap();
    assert!(check.status.success(), "{name} config: {}\n{conf}", String::from_utf8_lossy(&check.stderr));
    let mut cmd = Command::new(rsyslogd);
    cmd.arg("-n").arg("-f").arg(&path).arg("-i").arg(d.join(format!("{name}.pid")));
    Daemon::spawn(name, d, &mut cmd, "TERM")
}

#[test]
fn rsyslog_omprog_runs_loganon_as_a_filter() {
    let Some(rsyslogd) = require("rsyslogd", "rsyslog") else { return };
    let c = clock();
    let dir = workdir();
    let d = dir.path();
    let out = d.join("app.anon.log");
    let script = d.join("loganon-app");
    std::fs::write(
        &script,
        recipe("rsyslog-omprog-script").loganon(&c).with("/var/log/app/app.anon.log", out.to_str().unwrap()).text,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let input = d.join("app.log");
    let conf = recipe("rsyslog-omprog")
        .with("/var/log/app/app.log", input.to_str().unwrap())
        .with("/usr/local/libexec/loganon-app", script.to_str().unwrap());
    let rsyslog = start_rsyslog(&rsyslogd, d, "rsyslog", &conf.text);
    app_log(d);
    let got = wait_lines(&out, APP_LINES.len(), || rsyslog.output());
    assert_eq!(rsyslog.stop(), 0);
    assert_eq!(got.lines().collect::<Vec<_>>(), expected_app_lines(&c));
    eprintln!("rsyslog omprog:\n{}", read(&out));
}

#[test]
fn rsyslog_omfwd_through_loganon_serve_to_a_collector() {
    let Some(rsyslogd) = require("rsyslogd", "rsyslog") else { return };
    let c = clock();
    let dir = workdir();
    let d = dir.path();
    // The collector: a second rsyslog, writing each message as received.
    let (collector_port, received) = (free_tcp_port(), d.join("received.log"));
    let collector = start_rsyslog(
        &rsyslogd,
        d,
        "collector",
        &format!(
            "module(load=\"imtcp\")\ntemplate(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n\
             ruleset(name=\"store\") {{ action(type=\"omfile\" file=\"{}\" template=\"raw\") }}\n\
             input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{collector_port}\" ruleset=\"store\")\n",
            received.display()
        ),
    );
    wait_port(collector_port);
    let serve = Serve::start(
        d,
        &recipe("rsyslog-omfwd-serve")
            .loganon(&c)
            .with("127.0.0.1:5140", "127.0.0.1:0")
            .with("collector.example.net:514", &format!("127.0.0.1:{collector_port}"))
            .words(),
    );
    let input = d.join("app.log");
    let conf = recipe("rsyslog-omfwd")
        .with("/var/log/app/app.log", input.to_str().unwrap())
        .with("port=\"5140\"", &format!("port=\"{}\"", serve.tcp.port()));
    // A fixed host name, so that the result can be compared whole.
    let sender = start_rsyslog(&rsyslogd, d, "sender", &format!("global(localHostname=\"web1\")\n{}", conf.text));
    // Written after rsyslog started, so imfile reads it from the start either way; beyond the
    // fixed lines, a few hundred more of every kind, which must come out as the filter writes
    // them (they carry no time of their own, so the expiry is the same either way).
    let more: Vec<String> = (0..300)
        .map(|i| match i % 3 {
            0 => format!("n{i} user u{i}@example.com from 198.51.100.{}", i % 250),
            1 => format!("n{i} paid 4111 1111 1111 1111 via 2001:db8:1:2::{i:x}"),
            _ => format!("n{i} plain text"),
        })
        .collect();
    app_log_with(d, &more);
    let n = APP_LINES.len() + more.len();
    let got = wait_lines(&received, n, || format!("{}\n{}", sender.output(), collector.output()));
    assert_eq!(sender.stop(), 0);
    let (code, err) = serve.stop();
    assert_eq!(code, 0, "{err}");
    assert_eq!(collector.stop(), 0);
    let got: Vec<String> = got.lines().map(|l| mask_rfc3339(l, "<133>1 ")).collect();
    let filtered = ok(&["--now", &c.now], &more.iter().map(|l| format!("{l}\n")).collect::<String>());
    let expected: Vec<String> = expected_app_messages(&c)
        .into_iter()
        .chain(filtered.lines().map(String::from))
        .map(|m| format!("<133>1 TIME web1 app - - - {m}"))
        .collect();
    assert_eq!(got.len(), n);
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
    }
    // Only the application's own log (the input) holds the values in clear.
    assert_nothing_leaked(d, &[&input]);
    eprintln!(
        "rsyslog omfwd -> loganon serve -> rsyslog, first of {n} lines:\n{}",
        read(&received).lines().take(4).collect::<Vec<_>>().join("\n")
    );
}

/// `syslog-ng -F` with its own configuration, pid, persist and control files in `dir`.
fn start_syslog_ng(bin: &Path, d: &Path, conf: &str) -> Daemon {
    // The configuration version the installed syslog-ng speaks ("Config version: 3.35").
    let version = Command::new(bin).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Config version: ").map(|v| v.trim().to_owned()))
        .expect("syslog-ng --version names its config version");
    let path = d.join("syslog-ng.conf");
    std::fs::write(&path, format!("@version: {version}\n{conf}")).unwrap();
    let check = Command::new(bin).arg("--syntax-only").arg("-f").arg(&path).output().unwrap();
    assert!(check.status.success(), "syslog-ng config: {}{}", String::from_utf8_lossy(&check.stderr), conf);
    let mut cmd = Command::new(bin);
    cmd.args(["-F", "--no-caps", "-e", "-f"])
        .arg(&path)
        .arg("-p")
        .arg(d.join("syslog-ng.pid"))
        .arg("-R")
        .arg(d.join("syslog-ng.persist"))
        .arg("-c")
        .arg(d.join("syslog-ng.ctl"));
    Daemon::spawn("syslog-ng", d, &mut cmd, "TERM")
}

/// `loganon serve` as the syslog-ng-network-serve recipe runs it, on a free loopback port and
/// writing to `out`: where syslog-ng's network() destination sends, and what logrotate rotates.
fn syslog_ng_network_serve(d: &Path, c: &Clock, out: &Path) -> Serve {
    Serve::start(
        d,
        &recipe("syslog-ng-network-serve")
            .loganon(c)
            .with("127.0.0.1:5140", "127.0.0.1:0")
            .with("/var/log/loganon/anon.log", out.to_str().unwrap())
            .words(),
    )
}

#[test]
fn syslog_ng_program_destination_runs_loganon() {
    let Some(bin) = require("syslog-ng", "syslog-ng-core") else { return };
    let c = clock();
    let dir = workdir();
    let d = dir.path();
    let out = d.join("app.anon.log");
    let input = app_log(d);
    let conf = recipe("syslog-ng-program")
        .loganon(&c)
        .with("/var/log/app/app.log", input.to_str().unwrap())
        .with("/var/log/app/app.anon.log", out.to_str().unwrap());
    let syslog_ng = start_syslog_ng(&bin, d, &conf.text);
    let got = wait_lines(&out, APP_LINES.len(), || syslog_ng.output());
    assert_eq!(syslog_ng.stop(), 0);
    assert_eq!(got.lines().collect::<Vec<_>>(), expected_app_lines(&c));
    eprintln!("syslog-ng program():\n{}", read(&out));
}

#[test]
fn syslog_ng_network_destination_to_loganon_serve() {
    let Some(bin) = require("syslog-ng", "syslog-ng-core") else { return };
    let c = clock();
    let dir = workdir();
    let d = dir.path();
    let out = d.join("anon.log");
    let serve = syslog_ng_network_serve(d, &c, &out);
    let input = app_log(d);
    let conf = recipe("syslog-ng-network")
        .with("/var/log/app/app.log", input.to_str().unwrap())
        .with("port(5140)", &format!("port({})", serve.tcp.port()));
    let syslog_ng = start_syslog_ng(&bin, d, &conf.text);
    let got = wait_lines(&out, APP_LINES.len(), || syslog_ng.output());
    assert_eq!(syslog_ng.stop(), 0);
    let (code, err) = serve.stop();
    assert_eq!(code, 0, "{err}");
    // `<13>Nov 22 17:45:01 HOST message`: the time and this machine's host name are masked.
    let got: Vec<String> = got
        .lines()
        .map(|l| {
            let l = mask_bsd_time(l, "<13>");
            let rest = l.strip_prefix("<13>TIME ").unwrap();
            let host_end = rest.find(' ').unwrap();
            format!("<13>TIME HOST{}", &rest[host_end..])
        })
        .collect();
    let expected: Vec<String> = expected_app_messages(&c).iter().map(|m| format!("<13>TIME HOST {m}")).collect();
    assert_eq!(got, expected);
    eprintln!("syslog-ng network() -> loganon serve:\n{}", read(&out));
}

// ---------------------------------------------------------------------------------------------
// logrotate

#[test]
fn logrotate_with_sighup_loses_and_doubles_no_line() {
    let Some(logrotate) = require("logrotate", "logrotate") else { return };
    let c = clock();
    let dir = workdir();
    let d = dir.path();
    let out = d.join("anon.log");
    let serve = syslog_ng_network_serve(d, &c, &out);
    let pid_file = d.join("loganon.pid");
    std::fs::write(&pid_file, format!("{}\n", serve.daemon.child.id())).unwrap();
    let conf = d.join("logrotate.conf");
    std::fs::write(
        &conf,
        recipe("logrotate")
            .with("/var/log/loganon/anon.log", out.to_str().unwrap())
            .with("/run/loganon.pid", pid_file.to_str().unwrap())
            .text,
    )
    .unwrap();
    // A client that sends numbered lines without pause until told to stop.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (addr, stopped) = (serve.tcp, stop.clone());
    let client = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let mut n = 0u64;
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            let batch: String = (n..n + 20).map(|i| format!("n{i:07} from 203.0.113.{}\n", i % 256)).collect();
            s.write_all(batch.as_bytes()).unwrap();
            n += 20;
            std::thread::sleep(Duration::from_millis(1));
        }
        s.shutdown(std::net::Shutdown::Write).unwrap();
        n
    });
    wait_until("lines in the log", || read(&out).lines().count() >= 2000);
    let rotated = d.join("anon.log.1");
    let run = Command::new(&logrotate).arg("-f").arg("-s").arg(d.join("logrotate.state")).arg(&conf).output().unwrap();
    assert!(run.status.success(), "logrotate: {}", String::from_utf8_lossy(&run.stderr));
    assert!(rotated.exists(), "logrotate did not rotate");
    // The reopened file fills while the client goes on.
    wait_until("lines in the new log", || read(&out).lines().count() >= 2000);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = client.join().unwrap();
    let (code, err) = serve.stop();
    assert_eq!(code, 0, "{err}");
    let (old, new) = (read(&rotated), read(&out));
    let mut expected = 0u64;
    for line in old.lines().chain(new.lines()) {
        let want = format!("n{expected:07} from 203.0.113.0 expires_at={}", c.expiry);
        assert_eq!(line, want, "line {expected} of {sent}: lost, doubled or out of order");
        expected += 1;
    }
    assert_eq!(expected, sent, "{err}");
    eprintln!(
        "logrotate: {sent} lines, {} before the rotation (anon.log.1), {} after (anon.log); none lost or doubled",
        old.lines().count(),
        new.lines().count()
    );
}

// ---------------------------------------------------------------------------------------------
// systemd

#[test]
fn the_systemd_unit_passes_systemd_analyze() {
    let unit_text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/loganon.service")).unwrap();
    for want in [
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "LogsDirectory=loganon",
        "CapabilityBoundingSet=\n",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(unit_text.contains(want), "docs/loganon.service lacks {want:?}");
    }
    let dir = workdir();
    let d = dir.path();
    // The unit's command runs as written, with loopback ports and the output moved here.
    let exec = unit_text.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
    let c = clock();
    let out = d.join("anon.log");
    let serve = Serve::start(
        d,
        &Recipe { name: "ExecStart", text: exec.to_owned() }
            .loganon(&c)
            .with("127.0.0.1:5140", "127.0.0.1:0")
            .with("127.0.0.1:5514", "127.0.0.1:0")
            .with("/var/log/loganon/anon.log", out.to_str().unwrap())
            .words(),
    );
    let mut s = TcpStream::connect(serve.tcp).unwrap();
    s.write_all(b"mail from jane@example.com at 192.0.2.44\n").unwrap();
    drop(s);
    wait_lines(&out, 1, String::new);
    let (code, err) = serve.stop();
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&out), format!("mail from [EMAIL] at 192.0.2.0 expires_at={}\n", c.expiry));

    // systemd-analyze is optional: the tests run in containers without systemd.
    let path = std::env::var("PATH").unwrap_or_default();
    let Some(analyze) = path.split(':').map(|p| Path::new(p).join("systemd-analyze")).find(|p| p.is_file()) else {
        eprintln!("skipped: systemd-analyze is not installed (package systemd); the unit was not verified");
        return;
    };
    let probe = d.join("probe");
    std::fs::create_dir(&probe).unwrap();
    std::fs::write(probe.join("loganon-probe.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
    let run = Command::new(&analyze).arg("verify").arg(probe.join("loganon-probe.service")).output().unwrap();
    if !run.status.success() {
        eprintln!(
            "skipped: systemd-analyze cannot verify units here (a trivial unit fails too): {}",
            String::from_utf8_lossy(&run.stderr)
        );
        return;
    }
    // verify checks that ExecStart's binary exists and that Documentation=man:loganon-serve(1)
    // opens with man: the binary under test and the pages it generates are put in their places.
    let unit = d.join("loganon.service");
    std::fs::write(&unit, unit_text.replace("/usr/local/bin/loganon", binary().to_str().unwrap())).unwrap();
    let man1 = d.join("man/man1");
    std::fs::create_dir_all(&man1).unwrap();
    let (_, err, code) = run_loganon(&["man", "--dir", man1.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let verify = Command::new(&analyze).arg("verify").arg(&unit).env("MANPATH", d.join("man")).output().unwrap();
    let verify_err = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && verify_err.trim().is_empty(), "systemd-analyze verify: {verify_err}");
    let security =
        Command::new(&analyze).args(["security", "--offline=yes", "--no-pager"]).arg(&unit).output().unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    let Some(level) = report.lines().find_map(|l| l.split("Overall exposure level for loganon.service: ").nth(1))
    else {
        eprintln!(
            "verified; exposure not rated: this systemd-analyze has no offline security check: {}",
            String::from_utf8_lossy(&security.stderr)
        );
        return;
    };
    let score: f64 = level.split_whitespace().next().unwrap().parse().unwrap();
    assert!(score < 2.0, "exposure {level}:\n{report}");
    eprintln!("systemd: loganon.service verified; exposure {level}");
}

// ---------------------------------------------------------------------------------------------
// Man pages and completions

/// Runs loganon with `args` and no input: (stdout, stderr, exit code).
fn run_loganon(args: &[&str]) -> (String, String, i32) {
    run(args, b"")
}

#[test]
fn man_pages_are_generated_from_the_command_line_definition() {
    let (page, err, code) = run_loganon(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.contains(".TH loganon 1"), "{page}");
    for opt in [
        "ip\\-mode",
        "key\\-file",
        "now",
        "rules",
        "threads",
        "max\\-line",
        "format",
        "tag\\-retention",
        "report",
        "dry\\-run",
        "stats",
    ] {
        assert!(page.contains(&format!("\\fB\\-\\-{opt}\\fR")), "loganon(1) lacks --{opt}");
    }
    for section in ["EXIT STATUS", "SIGNALS", "LOGANON_KEY_FILE", "serve"] {
        assert!(page.contains(section), "loganon(1) lacks {section}");
    }
    let (serve, _, code) = run_loganon(&["man", "serve"]);
    assert_eq!(code, 0);
    assert!(serve.contains(".TH loganon-serve 1"), "{serve}");
    for opt in ["listen", "udp", "output", "forward", "drain\\-timeout", "ip\\-mode"] {
        assert!(serve.contains(&format!("\\fB\\-\\-{opt}\\fR")), "loganon-serve(1) lacks --{opt}");
    }
    let (test, _, code) = run_loganon(&["man", "rules", "test"]);
    assert_eq!(code, 0);
    assert!(test.contains(".TH loganon-rules-test 1"), "{test}");
    let (out, err, code) = run_loganon(&["man", "nope"]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let (_, err, code) = run_loganon(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&dir.path().join("loganon.1")), page);
    assert_eq!(read(&dir.path().join("loganon-serve.1")), serve);

    // Rendered by man(1) where it is installed: the page must be valid roff.
    if let Some(man) = require_optional("man") {
        let rendered = Command::new(man)
            .args(["-l", dir.path().join("loganon.1").to_str().unwrap()])
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        // Bold and underline come as overstrikes (`N\x08N`) when the output is no terminal.
        let mut text = String::new();
        for ch in String::from_utf8_lossy(&rendered.stdout).chars() {
            if ch == '\u{8}' {
                text.pop();
            } else {
                text.push(ch);
            }
        }
        assert!(rendered.status.success(), "{}", String::from_utf8_lossy(&rendered.stderr));
        assert!(text.contains("EXIT STATUS") && text.contains("--key-file"), "{text}");
    }
}

/// The path of `program` on PATH, if any; for tools a test can do without.
fn require_optional(program: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':').filter(|d| !d.is_empty()).map(|d| Path::new(d).join(program)).find(|p| p.is_file())
}

#[test]
fn shell_completions_are_generated_and_bash_completes_options_and_values() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (script, err, code) = run_loganon(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(script.contains("loganon") && script.contains("ip-mode"), "{shell}: {script}");
    }
    let (out, _, code) = run_loganon(&["completions", "nosuchshell"]);
    assert_eq!((out.as_str(), code), ("", 2));
    let Some(bash) = require_optional("bash") else {
        eprintln!("skipped: bash is not installed; the bash completion was not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("loganon.bash");
    std::fs::write(&script, run_loganon(&["completions", "bash"]).0).unwrap();
    let check = Command::new(&bash).arg("-n").arg(&script).output().unwrap();
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));
    // Completion as bash runs it: COMP_WORDS and COMP_CWORD set, the function called.
    let complete = |words: &[&str]| -> Vec<String> {
        let array: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; \
             _loganon loganon '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            array.join(" "),
            words.len() - 1,
            words.join(" "),
            words[words.len() - 1],
            words[words.len() - 2]
        );
        let out = Command::new(&bash).arg("-c").arg(program).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
    };
    let values = complete(&["loganon", "--ip-mode", ""]);
    assert!(values.contains(&"truncate".into()) && values.contains(&"hash".into()), "{values:?}");
    let subcommands = complete(&["loganon", "se"]);
    assert!(subcommands.contains(&"serve".into()), "{subcommands:?}");
    let options = complete(&["loganon", "serve", "--li"]);
    assert!(options.contains(&"--listen".into()), "{options:?}");
}

// ---------------------------------------------------------------------------------------------
// The documentation and the tests agree

/// Every recipe marked in docs/integrations.md is read by a test here, and every test the page
/// names exists: a recipe on the page is a recipe that ran.
#[test]
fn every_recipe_in_the_docs_is_run_by_a_test() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/integrations.md")).unwrap();
    let source = include_str!("integrations.rs");
    let mut names = Vec::new();
    for part in doc.split("<!-- recipe: ").skip(1) {
        let name = &part[..part.find(" -->").unwrap()];
        assert!(!names.contains(&name), "recipe {name} is marked twice");
        names.push(name);
        assert!(source.contains(&format!("recipe(\"{name}\")")), "no test runs the recipe {name}");
        // The marker is followed by its code block and nothing else.
        assert!(
            part[name.len() + 4..].trim_start().starts_with("```"),
            "recipe {name}: no code block after the marker"
        );
    }
    assert!(names.len() >= 12, "{names:?}");
    for line in doc.lines().filter(|l| l.starts_with("| ") && l.contains("` |")) {
        let test = line.trim_end_matches(" |").rsplit("| `").next().unwrap().trim_end_matches('`');
        if test.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') {
            assert!(
                source.contains(&format!("fn {test}()")),
                "docs/integrations.md names a test {test} that does not exist"
            );
        }
    }
}
