#!/usr/bin/env python3
"""Deterministic generator of realistic, synthetic log corpora for loganon.

Usage:
    python3 scripts/gencorpus.py --size 1G [--seed 1] [--kind access|mixed] > corpus.log

--size accepts a plain byte count or a K/M/G/T suffix (binary units: 1K = 1024
bytes; "KiB", "MB" etc. are accepted and also mean binary units). Output stops
at the first line boundary at or past the requested size, so the file is at
least SIZE bytes and at most one line longer. The same --seed, --size, --kind
and --start always give byte-identical output.

Kinds:
  access  nginx "combined" access log lines (default). About 3% of clients are
          IPv6, about 5% of lines append a quoted X-Forwarded-For field with
          1-3 addresses, about 1% carry an email address in the query string
          (plain or URL-encoded) and about 0.2% a Luhn-valid payment card
          number (Visa / Mastercard / Amex, sometimes grouped with "+", "%20"
          or "-").
  mixed   an interleaving of JSON lines, RFC 3164 syslog lines (mostly sshd)
          and logfmt lines, with roughly the same density of IPv6 addresses,
          emails and card numbers.

All data is synthetic: documentation/test address ranges plus random-looking
public addresses, example.com/.org/.net domains only, made-up user names and
randomly generated card numbers. Some lines carry a 13-digit millisecond
"cache buster" (_=1763...) whose Luhn check digit is deliberately invalid, as
a true negative for card detection.

Speed: a pool of pre-rendered lines (with timestamp placeholders) is built
once from the seeded PRNG; output is then assembled from that pool one
"second" of traffic at a time, with the timestamp substituted per second, and
written in large chunks. 1 GiB takes a few seconds.
"""

import argparse
import datetime as _dt
import itertools
import json
import os
import random
import re
import sys

POOL_SIZE = 16384          # pre-rendered lines per corpus
CHUNK_BYTES = 8 << 20       # write granularity
MEAN_LINES_PER_SECOND = 50  # traffic rate; 1 GiB of access log spans ~27 hours
DEFAULT_START = "2026-11-21T00:00:00Z"

# Placeholders substituted per second of traffic (never occur in rendered text).
TS_CLF = "\x01"      # 22/Nov/2026:10:00:00 +0000
TS_ISO = "\x02"      # 2026-11-22T10:00:00Z
TS_SYSLOG = "\x03"   # Nov 22 10:00:00

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------
# command line

def parse_size(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(
            "invalid size %r (expected e.g. 4096, 64K, 256M, 1G)" % text)
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def parse_start(text):
    try:
        t = _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise argparse.ArgumentTypeError(
            "invalid --start %r (expected YYYY-MM-DDTHH:MM:SSZ)" % text)
    return t.replace(tzinfo=_dt.timezone.utc)


# --------------------------------------------------------------------------
# building blocks

def luhn_check_digit(payload):
    """Check digit that makes payload + digit Luhn-valid."""
    total = 0
    # Walk from the right; the rightmost payload digit gets doubled.
    for i, ch in enumerate(reversed(payload)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number):
    return luhn_check_digit(number[:-1]) == number[-1]


class Gen:
    def __init__(self, rng):
        self.r = rng
        # Zipf-ish popularity: a few heavy clients, a long tail. IPv6 clients
        # are drawn from their own pool so that ~3% of lines carry one.
        self.clients4 = [self.ipv4_doc() if rng.random() < 0.33 else self.ipv4_public()
                         for _ in range(3000)]
        self.clients6 = [self.ipv6() for _ in range(150)]
        self.cum4 = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(self.clients4))))
        self.cum6 = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(self.clients6))))

    # ---- addresses -------------------------------------------------------

    def ipv4_doc(self):
        r = self.r
        net = r.choice(("192.0.2", "198.51.100", "203.0.113"))
        return "%s.%d" % (net, r.randint(1, 254))

    def ipv4_public(self):
        """Random-looking globally routable unicast IPv4 (no private/reserved ranges)."""
        r = self.r
        while True:
            a = r.randint(1, 223)
            b = r.randint(0, 255)
            if a in (10, 127) or (a == 100 and 64 <= b <= 127) or (a == 169 and b == 254) \
                    or (a == 172 and 16 <= b <= 31) or (a == 192 and b in (0, 168)) \
                    or (a == 198 and b in (18, 19, 51)) or (a == 203 and b == 0):
                continue
            return "%d.%d.%d.%d" % (a, b, r.randint(0, 255), r.randint(1, 254))

    def ipv4_private(self):
        r = self.r
        k = r.random()
        if k < 0.5:
            return "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
        if k < 0.8:
            return "172.%d.%d.%d" % (r.randint(16, 31), r.randint(0, 255), r.randint(1, 254))
        return "192.168.%d.%d" % (r.randint(0, 255), r.randint(1, 254))

    def ipv6(self):
        r = self.r
        k = r.random()
        if k < 0.6:
            # documentation prefix, usually compressed
            style = r.random()
            if style < 0.5:
                return "2001:db8:%x:%x::%x" % (r.randint(0, 0xFFFF), r.randint(0, 0xFFFF),
                                              r.randint(1, 0xFFFF))
            if style < 0.8:
                return ":".join(["2001", "db8"] + ["%x" % r.randint(0, 0xFFFF) for _ in range(6)])
            return "2001:db8::%x:%x" % (r.randint(0, 0xFFFF), r.randint(1, 0xFFFF))
        # realistic-looking global unicast from common RIR blocks
        head = r.choice(("2a01", "2a02", "2a00", "2600", "2607", "2604", "2003", "2406", "2804"))
        groups = [head] + ["%x" % r.randint(0, 0xFFFF) for _ in range(7)]
        if r.random() < 0.4:
            return "%s:%s:%s:%s::%s" % (groups[0], groups[1], groups[2], groups[3], groups[7])
        return ":".join(groups)

    def client(self):
        if self.r.random() < 0.03:
            return self.r.choices(self.clients6, cum_weights=self.cum6)[0]
        return self.r.choices(self.clients4, cum_weights=self.cum4)[0]

    def xff(self):
        r = self.r
        hops = []
        for i in range(r.choice((1, 1, 2, 2, 3))):
            k = r.random()
            if k < 0.06:
                hops.append(self.ipv6())
            elif i > 0 and k < 0.45:
                hops.append(self.ipv4_private())
            elif k < 0.7:
                hops.append(self.ipv4_doc())
            else:
                hops.append(self.ipv4_public())
        return ", ".join(hops)

    # ---- personal-ish data (all synthetic) --------------------------------

    FIRST = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
             "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent",
             "victor", "walter", "yuki", "zoe", "test", "qa", "demo")
    LAST = ("smith", "jones", "doe", "nguyen", "garcia", "muller", "rossi", "tanaka",
            "kowalski", "dubois", "silva", "user", "example")
    DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com",
               "corp.example.org", "shop.example.net")

    def username(self):
        r = self.r
        k = r.random()
        if k < 0.4:
            return r.choice(self.FIRST)
        if k < 0.7:
            return "%s%d" % (r.choice(self.FIRST), r.randint(1, 99))
        return "%s.%s" % (r.choice(self.FIRST)[0], r.choice(self.LAST))

    def email(self):
        r = self.r
        k = r.random()
        first, last = r.choice(self.FIRST), r.choice(self.LAST)
        if k < 0.35:
            local = "%s.%s" % (first, last)
        elif k < 0.6:
            local = first
        elif k < 0.8:
            local = "%s%d" % (first, r.randint(1, 999))
        else:
            local = "%s.%s+%s" % (first[0], last, r.choice(("tag", "news", "shop", "test")))
        return "%s@%s" % (local, r.choice(self.DOMAINS))

    @staticmethod
    def urlencode_email(addr):
        return addr.replace("+", "%2B").replace("@", "%40")

    def card(self):
        """(digits, rendered) for a Luhn-valid Visa/Mastercard/Amex number."""
        r = self.r
        k = r.random()
        if k < 0.5:
            payload = "4" + "".join(r.choice("0123456789") for _ in range(14))
        elif k < 0.85:
            payload = "5%d" % r.randint(1, 5) + "".join(r.choice("0123456789") for _ in range(13))
        else:
            payload = r.choice(("34", "37")) + "".join(r.choice("0123456789") for _ in range(12))
        digits = payload + luhn_check_digit(payload)
        sep = r.choice(("", "", "", "+", "%20", "-"))
        if sep:
            rendered = sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))
        else:
            rendered = digits
        return digits, rendered

    def cache_buster(self):
        """13-digit epoch-millis that is deliberately NOT Luhn-valid."""
        payload = str(self.r.randint(1763000000000, 1765000000000))[:12]
        good = luhn_check_digit(payload)
        return payload + str((int(good) + 1 + self.r.randint(0, 8)) % 10)

    _LONG_DIGITS = re.compile(r"[0-9]{13}")

    def hexid(self, n):
        # Never contains a run of 13+ decimal digits, so the only Luhn-valid
        # 13-19 digit numbers in a corpus are the planted cards.
        while True:
            h = "%0*x" % (n, self.r.getrandbits(4 * n))
            if not self._LONG_DIGITS.search(h):
                return h

    # ---- HTTP bits --------------------------------------------------------

    PRODUCTS = ("blue-widget", "red-widget", "gizmo-pro", "gizmo-mini", "usb-c-cable",
                "coffee-mug", "t-shirt-xl", "notebook-a5", "desk-lamp", "gift-card")
    SEARCH = ("widgets", "red+shoes", "usb+c", "gift", "lamp", "sale", "coffee", "mug",
              "t-shirt", "new+arrivals")

    def plain_path(self):
        r = self.r
        k = r.random()
        if k < 0.22:
            return r.choice(("/static/js/app.%s.js", "/static/css/main.%s.css",
                             "/static/js/vendor.%s.js")) % self.hexid(8)
        if k < 0.34:
            return "/images/%s/%s.%s" % (r.choice(("products", "banners", "icons")),
                                         r.choice(self.PRODUCTS),
                                         r.choice(("jpg", "png", "webp")))
        if k < 0.44:
            return "/api/v1/products/%d" % r.randint(1, 50000)
        if k < 0.52:
            return "/api/v2/orders?page=%d&limit=%d" % (r.randint(1, 40), r.choice((20, 50, 100)))
        if k < 0.60:
            return "/products/%s" % r.choice(self.PRODUCTS)
        if k < 0.66:
            return "/search?q=%s&page=%d" % (r.choice(self.SEARCH), r.randint(1, 5))
        if k < 0.71:
            return r.choice(("/", "/index.html", "/cart", "/login", "/logout", "/account",
                             "/checkout", "/about", "/contact"))
        if k < 0.75:
            return r.choice(("/favicon.ico", "/robots.txt", "/sitemap.xml",
                             "/.well-known/security.txt"))
        if k < 0.79:
            return "/api/v1/users/%d/sessions" % r.randint(1000, 999999)
        if k < 0.835:
            # scanner noise
            return r.choice(("/wp-login.php", "/.env", "/admin/config.php",
                             "/phpmyadmin/index.php", "/.git/config",
                             "/cgi-bin/luci/;stok=/locale", "/vendor/phpunit/src/Util/PHP/eval-stdin.php"))
        if k < 0.85:
            return "/api/v1/cart?_=%s" % self.cache_buster()
        if k < 0.92:
            return "/checkout?step=%d&session=%s" % (r.randint(1, 4), self.hexid(16))
        return "/track/pixel.gif?cid=%s&ev=%s" % (self.hexid(12),
                                                  r.choice(("view", "click", "scroll")))

    def email_path(self):
        r = self.r
        addr = self.email()
        if r.random() < 0.4:
            addr = self.urlencode_email(addr)
        return r.choice((
            "/newsletter/subscribe?email=%s",
            "/api/v1/users/lookup?email=%s&fields=id,name",
            "/reset-password?email=%s&token=" + self.hexid(24),
            "/login?user=%s&next=%%2Faccount",
            "/unsubscribe?list=weekly&addr=%s",
        )) % addr

    def card_path(self):
        r = self.r
        _, rendered = self.card()
        return r.choice((
            "/checkout/pay?card=%s&exp=12%%2F28&amount=49.90",
            "/api/v1/payments?pan=%s&currency=EUR",
            "/billing/update?cc_number=%s&holder=TEST+USER",
            "/pay?method=card&number=%s&cvv=123",
        )) % rendered

    STATUS = ((200, 72), (304, 9), (301, 3), (302, 4), (404, 6), (204, 1), (206, 1),
              (400, 0.5), (401, 0.5), (403, 1), (429, 0.5), (500, 0.7), (502, 0.5),
              (503, 0.3))
    STATUS_WRITE = ((200, 55), (201, 20), (204, 5), (302, 5), (400, 5), (401, 3),
                    (409, 2), (422, 2), (500, 2), (502, 1))
    METHODS = (("GET", 97), ("HEAD", 3))
    METHODS_API = (("GET", 70), ("POST", 17), ("PUT", 5), ("DELETE", 2), ("OPTIONS", 6))
    METHODS_FORM = (("GET", 60), ("POST", 40))
    PROTOS = (("HTTP/1.1", 70), ("HTTP/2.0", 27), ("HTTP/1.0", 3))

    # Real-world user agents. Every dotted version with four components has a
    # component > 255 (e.g. Chrome/120.0.6099.109), so none is a valid IPv4.
    UAS = (
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.6099.109 Safari/537.36", 30),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.6099.109 Safari/537.36", 6),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.1 Safari/605.1.15", 12),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1", 14),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.6099.144 Mobile Safari/537.36", 10),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", 8),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.6099.130 Safari/537.36 Edg/120.0.2210.91", 6),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 4),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 2),
        ("curl/8.4.0", 3),
        ("python-requests/2.31.0", 2),
        ("okhttp/4.12.0", 2),
        ("Go-http-client/2.0", 1),
    )

    def weighted(self, table):
        return self.r.choices([v for v, _ in table], weights=[w for _, w in table])[0]

    def method_status(self, path):
        """A plausible (method, status) pair for a request path."""
        if path.startswith("/api/"):
            method = self.weighted(self.METHODS_API)
        elif path.startswith(("/login", "/checkout", "/billing", "/pay", "/newsletter",
                              "/reset-password", "/account", "/wp-login")):
            method = self.weighted(self.METHODS_FORM)
        else:
            method = self.weighted(self.METHODS)
        if method in ("GET", "HEAD"):
            status = self.weighted(self.STATUS)
        elif method == "OPTIONS":
            status = 204
        else:
            status = self.weighted(self.STATUS_WRITE)
        return method, status

    def referrer(self, path):
        r = self.r
        k = r.random()
        if k < 0.4:
            return "-"
        if k < 0.75:
            return "https://www.example.com" + r.choice(("/", "/products/" + r.choice(self.PRODUCTS),
                                                         "/cart", "/search?q=" + r.choice(self.SEARCH)))
        if k < 0.9:
            return "https://search.example.org/?q=%s" % r.choice(self.SEARCH)
        return r.choice(("https://ref.example.com/", "https://news.example.net/article/%d" % r.randint(1, 9999),
                         "android-app://com.example.shop/"))

    def body_size(self, status, method):
        r = self.r
        if status in (204, 304) or method == "HEAD":
            return 0
        if status >= 400:
            return r.randint(150, 600)
        if status in (301, 302):
            return r.randint(150, 200)
        return int(r.lognormvariate(8.3, 1.4))

    # ---- line renderers ---------------------------------------------------

    def access_line(self, flavor, xff):
        r = self.r
        if flavor == "email":
            path = self.email_path()
        elif flavor == "card":
            path = self.card_path()
        else:
            path = self.plain_path()
        method, status = self.method_status(path)
        line = '%s - %s [%s] "%s %s %s" %d %d "%s" "%s"' % (
            self.client(),
            "-" if r.random() < 0.97 else self.username(),
            TS_CLF, method, path, self.weighted(self.PROTOS), status,
            self.body_size(status, method), self.referrer(path), self.weighted(self.UAS))
        if xff:
            line += ' "%s"' % self.xff()
        return line + "\n"

    HOSTS = ("web-01", "web-02", "bastion", "mail-01", "db-01")
    LEVELS = (("info", 80), ("warn", 10), ("debug", 6), ("error", 4))
    JSON_MSGS = ("request completed", "session started", "cache miss", "user logged in",
                 "password reset requested", "rate limit exceeded", "upstream timeout",
                 "order created", "token refreshed")

    def json_line(self, flavor, xff):
        r = self.r
        rec = {
            "@timestamp": TS_ISO,
            "level": self.weighted(self.LEVELS),
            "client_ip": self.client(),
            "msg": r.choice(self.JSON_MSGS),
            "user": self.username(),
        }
        if flavor == "email":
            if r.random() < 0.5:
                rec["user"] = self.email()
            else:
                rec["msg"] = "password reset email sent to %s" % self.email()
        path = self.card_path() if flavor == "card" else self.plain_path()
        rec["method"], rec["status"] = self.method_status(path)
        rec["path"] = path
        rec["duration_ms"] = round(r.lognormvariate(3.0, 1.0), 1)
        if xff:
            rec["x_forwarded_for"] = self.xff()
        rec["request_id"] = self.hexid(32)
        s = json.dumps(rec, separators=(",", ":"))
        return s.replace("\\u0002", TS_ISO) + "\n"

    def syslog_line(self, flavor, xff):
        r = self.r
        host = r.choice(self.HOSTS)
        pid = r.randint(300, 65000)
        if flavor == "email":
            qid = self.hexid(10).upper()
            relay_ip = self.ipv4_doc()
            text = ("postfix/smtp[%d]: %s: to=<%s>, relay=mx.example.net[%s]:25, delay=%.1f, "
                    "delays=0.1/0/0.2/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as %s)"
                    % (pid, qid, self.email(), relay_ip, r.uniform(0.2, 3.0), self.hexid(10).upper()))
        elif flavor == "card":
            _, rendered = self.card()
            text = ("payments[%d]: charge declined for card %s from %s: insufficient funds"
                    % (pid, rendered.replace("%20", " ").replace("+", " "), self.client()))
        elif xff:
            # sshd's connection line names both ends (client and local address)
            text = 'sshd[%d]: Connection from %s port %d on %s port 22 rdomain ""' % (
                pid, self.client(), r.randint(1024, 65535),
                r.choice((self.ipv4_private(), self.ipv4_doc())))
        else:
            ip = self.client()
            port = r.randint(1024, 65535)
            k = r.random()
            if k < 0.35:
                text = "sshd[%d]: Failed password for invalid user %s from %s port %d ssh2" % (
                    pid, r.choice(("admin", "root", "test", "oracle", "ubuntu", "git", "pi")), ip, port)
            elif k < 0.5:
                text = "sshd[%d]: Failed password for %s from %s port %d ssh2" % (
                    pid, r.choice(("root", "deploy")), ip, port)
            elif k < 0.62:
                text = "sshd[%d]: Invalid user %s from %s port %d" % (
                    pid, r.choice(("admin", "user", "support", "guest")), ip, port)
            elif k < 0.74:
                text = "sshd[%d]: Connection closed by %s port %d [preauth]" % (pid, ip, port)
            elif k < 0.84:
                text = "sshd[%d]: Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%s" % (
                    pid, r.choice(("deploy", "ci", "backup")), ip, port, self.hexid(20))
            elif k < 0.92:
                text = "sshd[%d]: pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)" % (
                    pid, r.choice(("deploy", "ci", "backup")), r.choice((1000, 1001, 1002)))
            else:
                text = "sshd[%d]: Received disconnect from %s port %d:11: Bye Bye [preauth]" % (pid, ip, port)
        return "%s %s %s\n" % (TS_SYSLOG, host, text)

    LOGFMT_MSGS = ("handled request", "login ok", "login failed", "cache refreshed",
                   "slow query", "job finished")

    def logfmt_line(self, flavor, xff):
        r = self.r
        user = self.email() if flavor == "email" else self.username()
        path = self.card_path() if flavor == "card" else self.plain_path()
        method, status = self.method_status(path)
        parts = ["time=%s" % TS_ISO,
                 "level=%s" % self.weighted(self.LEVELS),
                 "ip=%s" % self.client(),
                 "user=%s" % user,
                 'msg="%s"' % r.choice(self.LOGFMT_MSGS),
                 "method=%s" % method,
                 "path=%s" % path,
                 "status=%d" % status,
                 "duration=%dms" % int(r.lognormvariate(3.0, 1.0))]
        if xff:
            parts.append('forwarded_for="%s"' % self.xff())
        return " ".join(parts) + "\n"


# --------------------------------------------------------------------------
# pool + output

def build_pool(rng, kind, n):
    g = Gen(rng)
    # Exact per-pool counts give stable densities for every corpus size.
    n_email = round(n * 0.01)
    n_card = round(n * 0.002)
    n_xff = round(n * 0.05)
    flavors = ["email"] * n_email + ["card"] * n_card + ["plain"] * (n - n_email - n_card)
    rng.shuffle(flavors)
    xffs = [True] * n_xff + [False] * (n - n_xff)
    rng.shuffle(xffs)
    pool = []
    for flavor, xff in zip(flavors, xffs):
        if kind == "access":
            line = g.access_line(flavor, xff)
        else:
            k = rng.random()
            if k < 0.4:
                line = g.json_line(flavor, xff)
            elif k < 0.7:
                line = g.syslog_line(flavor, xff)
            else:
                line = g.logfmt_line(flavor, xff)
        pool.append(line.encode("ascii"))
    return pool


def stamps(t):
    """Placeholder -> rendered timestamp for one second."""
    mon = MONTHS[t.month - 1]
    return (
        (TS_CLF.encode(), ("%02d/%s/%04d:%02d:%02d:%02d +0000" % (
            t.day, mon, t.year, t.hour, t.minute, t.second)).encode()),
        (TS_ISO.encode(), ("%04d-%02d-%02dT%02d:%02d:%02dZ" % (
            t.year, t.month, t.day, t.hour, t.minute, t.second)).encode()),
        (TS_SYSLOG.encode(), ("%s %2d %02d:%02d:%02d" % (
            mon, t.day, t.hour, t.minute, t.second)).encode()),
    )


def generate(out, size, seed, kind, start):
    rng = random.Random("loganon-corpus:%s:%d" % (kind, seed))
    pool = build_pool(rng, kind, POOL_SIZE)
    markers = (0,) if kind == "access" else (1, 2)
    choices = rng.choices
    randint = rng.randint
    rand = rng.random
    hi = 2 * MEAN_LINES_PER_SECOND - 1
    t = start
    one_sec = _dt.timedelta(seconds=1)
    written = 0
    buf = []
    buf_len = 0
    while written < size:
        block = b"".join(choices(pool, k=randint(1, hi)))
        st = stamps(t)
        for m in markers:
            block = block.replace(st[m][0], st[m][1])
        # Advance the clock: usually one second, occasionally a quiet gap.
        t += one_sec if rand() < 0.995 else _dt.timedelta(seconds=randint(2, 30))
        remaining = size - written
        if len(block) >= remaining:
            # First line boundary at or past the requested size.
            block = block[:block.index(b"\n", remaining - 1) + 1]
        buf.append(block)
        buf_len += len(block)
        written += len(block)
        if buf_len >= CHUNK_BYTES:
            out.write(b"".join(buf))
            buf, buf_len = [], 0
    if buf:
        out.write(b"".join(buf))
    out.flush()


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Generate a deterministic synthetic log corpus on stdout.")
    ap.add_argument("--size", type=parse_size, required=True,
                    help="target size, e.g. 64K, 256M, 1G (binary units)")
    ap.add_argument("--seed", type=int, default=1, help="PRNG seed (default 1)")
    ap.add_argument("--kind", choices=("access", "mixed"), default="access",
                    help="access: nginx combined log (default); mixed: JSON + syslog + logfmt")
    ap.add_argument("--start", type=parse_start, default=parse_start(DEFAULT_START),
                    help="timestamp of the first line (default %s)" % DEFAULT_START)
    args = ap.parse_args(argv)
    if sys.stdout.isatty():
        ap.error("refusing to write a corpus to a terminal; redirect stdout to a file")
    try:
        generate(sys.stdout.buffer, args.size, args.seed, args.kind, args.start)
    except BrokenPipeError:
        # e.g. `gencorpus.py --size 1G | head`: stop quietly, and keep the
        # interpreter's final flush from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
