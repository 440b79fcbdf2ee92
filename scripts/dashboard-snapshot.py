#!/usr/bin/python3
"""Draw the panels of awardtracker's dashboards from real Prometheus data.

Grafana cannot be installed on our machines, so this draws an approximation
of each dashboard with matplotlib, labelled as such, from the data the
end-to-end test collects when asked to:

    MONITORING_SNAPSHOT=/tmp/snapshot.json go test -count=1 -run TestEndToEnd ./monitoring
    /usr/bin/python3 scripts/dashboard-snapshot.py /tmp/snapshot.json docs/images

Every panel shows the series its real PromQL queries returned from the
Prometheus that scraped the real service during the test (with its 150 ms
injected query delay). Layout, titles and units follow the dashboard JSON;
colours, value mappings and styling are not Grafana's.

Needs matplotlib: Debian's python3-matplotlib, for /usr/bin/python3.
"""

import json
import math
import os
import re
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROW_UNIT_IN = 0.42  # inches per Grafana grid row
WIDTH_IN = 20.0


def legend(fmt, metric):
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt or "")
    return text.strip() or ",".join(f"{k}={v}" for k, v in sorted(metric.items()))


def scale(unit, values):
    """Return the values converted for display and the axis label."""
    finite = [abs(v) for v in values if not math.isnan(v)]
    top = max(finite) if finite else 0
    if unit == "percentunit":
        return [v * 100 for v in values], "%"
    if unit == "s":
        if top < 1:
            return [v * 1000 for v in values], "ms"
        return values, "s"
    if unit == "bytes":
        return [v / 2**20 for v in values], "MiB"
    labels = {"reqps": "req/s", "ops": "ops/s", "short": "", "none": ""}
    return values, labels.get(unit, unit)


def fmt_stat(unit, value, end):
    if math.isnan(value):
        return "NaN"
    if unit == "dateTimeFromNow":
        if value == 0:
            return "never"
        return f"{end - value / 1000:.0f} s ago"
    if unit == "percentunit":
        return f"{value * 100:.1f} %"
    if unit == "s":
        if value >= 3600:
            return f"{value / 3600:.1f} h"
        if value >= 1:
            return f"{value:.1f} s"
        return f"{value * 1000:.0f} ms"
    if unit == "reqps":
        return f"{value:.2f} req/s"
    return f"{value:.3g}"


def draw(dashboard, start, end, out_dir, stamp):
    panels = dashboard["panels"]
    rows = max(p["y"] + p["h"] for p in panels)
    fig = plt.figure(figsize=(WIDTH_IN, rows * ROW_UNIT_IN + 1.2))
    header = 1.2 / (rows * ROW_UNIT_IN + 1.2)
    fig.text(0.01, 1 - header * 0.35, dashboard["title"], fontsize=16, weight="bold", va="center")
    fig.text(
        0.01,
        1 - header * 0.75,
        "Drawn by scripts/dashboard-snapshot.py from real Prometheus data "
        f"(TestEndToEnd, {stamp}, awardtracker with a 150 ms injected query delay). "
        "Not a Grafana screenshot: layout, queries and units are the dashboard's, the drawing is matplotlib's.",
        fontsize=9,
        style="italic",
        va="center",
    )
    body = 1 - header
    for p in panels:
        left = p["x"] / 24 + 0.006
        width = p["w"] / 24 - 0.012
        top = body * (1 - p["y"] / rows)
        height = body * p["h"] / rows
        ax = fig.add_axes([left + 0.02, top - height + 0.035 * body, width - 0.03, height - 0.07 * body])
        ax.set_title(p["title"], fontsize=9, loc="left")
        series = [(t["legend"], s) for t in p["targets"] for s in t["series"]]
        if p["type"] == "stat":
            ax.axis("off")
            texts = []
            for fmt, s in series:
                vals = [float(v[1]) for v in s.get("values") or []]
                good = [v for v in vals if not math.isnan(v)]
                value = good[-1] if good else float("nan")
                texts.append(f"{fmt_stat(p['unit'], value, end)}\n{legend(fmt, s['metric'])}")
            ax.text(0.5, 0.45, "\n".join(texts) or "no data", ha="center", va="center", fontsize=11 if len(texts) < 2 else 9)
            continue
        label = ""
        for fmt, s in series:
            xs = [float(v[0]) - start for v in s.get("values") or []]
            ys, label = scale(p["unit"], [float(v[1]) for v in s.get("values") or []])
            ax.plot(xs, ys, linewidth=1, label=legend(fmt, s["metric"])[:40])
        ax.set_xlim(0, end - start)
        ax.set_xlabel("seconds since the traffic started", fontsize=7)
        ax.set_ylabel(label, fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if series:
            ax.legend(fontsize=6, loc="upper left", ncol=2, framealpha=0.6)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    name = os.path.splitext(dashboard["file"])[0] + ".png"
    fig.savefig(os.path.join(out_dir, name), dpi=80)
    plt.close(fig)
    return name


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        snap = json.load(f)
    os.makedirs(sys.argv[2], exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(snap["end"]))
    for d in snap["dashboards"]:
        print(os.path.join(sys.argv[2], draw(d, snap["start"], snap["end"], sys.argv[2], stamp)))


if __name__ == "__main__":
    main()
