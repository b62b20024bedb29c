#!/usr/bin/python3
"""Renders the main panels of docs/grafana/edgeca-dashboard.json from a
series of real /metrics pages, without Grafana: the picture in
docs/metrics.md (docs/img/dashboard.png) is made this way.

Usage: render-panels.py SCRAPE_DIR OUT.png

SCRAPE_DIR holds one page per scrape, named <unix seconds>.prom (what
bench/rest-issuance.sh keeps with BENCH_METRICS=1 BENCH_KEEP=1, in
<work>/scrapes). Rates and quantiles are computed between consecutive
scrapes as Prometheus's rate() and histogram_quantile() would over one
scrape interval. Needs python3-matplotlib (Debian).
"""
import collections
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(path):
    """{(name, frozenset(labels)): value} of one page."""
    samples = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = SAMPLE.match(line.rstrip("\n"))
            if line.startswith("#") or m is None:
                continue
            labels = frozenset(LABEL.findall(m.group(2) or ""))
            samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def load(directory):
    pages = []
    for name in sorted(os.listdir(directory), key=lambda n: float(n.split(".prom")[0])):
        if name.endswith(".prom"):
            pages.append((float(name[:-5]), parse(os.path.join(directory, name))))
    if len(pages) < 2:
        sys.exit("render-panels: need at least two scrapes in %s" % directory)
    return pages


def by(samples, name, keys, drop=()):
    """Sums samples of name grouped by the label names keys."""
    out = collections.defaultdict(float)
    for (n, labels), v in samples.items():
        d = dict(labels)
        if n == name and not any(d.get(k) == want for k, want in drop):
            out[tuple(d.get(k, "") for k in keys)] += v
    return out


def rates(pages, name, keys):
    """{group: ([t], [per-second increase])} between consecutive pages."""
    series = collections.defaultdict(lambda: ([], []))
    t0 = pages[0][0]
    for (ta, a), (tb, b) in zip(pages, pages[1:]):
        ga, gb = by(a, name, keys), by(b, name, keys)
        for g, vb in gb.items():
            series[g][0].append(tb - t0)
            series[g][1].append(max(vb - ga.get(g, 0.0), 0.0) / (tb - ta))
    return series


def quantile(q, buckets):
    """histogram_quantile over [(le, cumulative count)]."""
    buckets = sorted(buckets)
    total = buckets[-1][1] if buckets else 0
    if total <= 0:
        return None
    rank, prev_le, prev_c = q * total, 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_c) / (c - prev_c) if c > prev_c else 0)
        prev_le, prev_c = le, c
    return prev_le


def quantiles(pages, name, keys, q):
    series = collections.defaultdict(lambda: ([], []))
    t0 = pages[0][0]
    for (_, a), (tb, b) in zip(pages, pages[1:]):
        ga, gb = by(a, name, keys + ("le",)), by(b, name, keys + ("le",))
        groups = collections.defaultdict(list)
        for g, vb in gb.items():
            groups[g[:-1]].append((float(g[-1]), vb - ga.get(g, 0.0)))
        for g, bl in groups.items():
            v = quantile(q, bl)
            if v is not None:
                series[g][0].append(tb - t0)
                series[g][1].append(v)
    return series


def gauges(pages, name, keys, state=None):
    series = collections.defaultdict(lambda: ([], []))
    t0 = pages[0][0]
    for t, s in pages:
        for (n, labels), v in s.items():
            d = dict(labels)
            if n == name and (state is None or d.get("state") == state):
                g = tuple(d.get(k, "") for k in keys)
                series[g][0].append(t - t0)
                series[g][1].append(v)
    return series


def short(group):
    return " ".join(p[:8] if re.fullmatch(r"[0-9a-f-]{36}", p) else p for p in group)


def plot(ax, title, series, unit, top=6):
    ranked = sorted(series.items(), key=lambda kv: -max(kv[1][1] or [0]))[:top]
    for g, (xs, ys) in ranked:
        ax.plot(xs, ys, label=short(g), linewidth=1.5)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("seconds into the run", fontsize=8)
    ax.set_ylabel(unit, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    if ranked:
        ax.legend(fontsize=7, loc="upper left")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pages = load(sys.argv[1])
    fig, axes = plt.subplots(3, 2, figsize=(14, 11))
    plot(axes[0][0], "Certificates issued per second, by CA and channel",
         rates(pages, "edgeca_certificates_issued_total", ("ca_id", "channel")), "certificates/s")
    plot(axes[0][1], "HTTP requests per second, by route and status class",
         rates(pages, "edgeca_http_requests_total", ("listener", "route", "code")), "requests/s")
    plot(axes[1][0], "HTTP p99 latency, by route",
         quantiles(pages, "edgeca_http_request_duration_seconds_bucket", ("listener", "route"),
                   0.99), "seconds")
    plot(axes[1][1], "Signer call latency p99, by operation",
         quantiles(pages, "edgeca_signer_call_duration_seconds_bucket", ("operation",), 0.99),
         "seconds")
    use = {}
    for pool in ("db", "signer"):
        used = gauges(pages, "edgeca_%s_pool_connections" % pool, (), "in_use")[()]
        size = gauges(pages, "edgeca_%s_pool_connections" % pool, (), "size")[()]
        use[("database" if pool == "db" else "signer",)] = (
            used[0], [u / s if s else 0 for u, s in zip(used[1], size[1])])
    plot(axes[2][0], "Pool use (in use / size)", use, "fraction")
    last_t, last = pages[-1]
    days = by(last, "edgeca_ca_not_after_timestamp_seconds", ("ca_id", "location"))
    ax = axes[2][1]
    names = [short(g) for g in days]
    ax.barh(names, [(v - last_t) / 86400 for v in days.values()], color="tab:green")
    ax.axvline(30, color="tab:red", linestyle="--", linewidth=1, label="alert: 30 days")
    ax.set_title("CA locations: days until notAfter", fontsize=10, loc="left")
    ax.set_xlabel("days", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    fig.suptitle("edgeca dashboard panels rendered by docs/grafana/render-panels.py from %d real "
                 "scrapes over %.0f s (not a Grafana screenshot)"
                 % (len(pages), pages[-1][0] - pages[0][0]), fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(sys.argv[2], dpi=80)


if __name__ == "__main__":
    main()
