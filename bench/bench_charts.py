"""How the run pages draw charts, chosen by measurement (issue 12).

The same page (10 line charts of 3 series x 200 points, one histogram of 1000
values) written with each candidate: Plotly with its offline bundle inlined, Vega-Lite
via Altair (inline=True, the JavaScript inlined), pygal (server-side SVG, its
tooltip script turned off), matplotlib (SVG), and our inline SVG (bridge.pages.svg).
Measured: page size, Python time to write it, Chromium's time to open it (an empty
page's time is printed for reference), external URLs left in the page, and install
size (the files of the library and of its dependencies that stand-bridge does not
already need).

Candidates not installed are reported as such; to compare them all:
    python -m venv /tmp/charts && /tmp/charts/bin/pip install -e . plotly altair \
        vl-convert-python pygal matplotlib
    /tmp/charts/bin/python bench/bench_charts.py
"""

from __future__ import annotations

import importlib.metadata as md
import math
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CHARTS, SERIES, POINTS = 10, 3, 200
rng = random.Random(7)
XS = list(range(POINTS))
CURVES = [[math.sin(i / 20 + s) + rng.gauss(0, 0.05) for i in XS] for s in range(SERIES)]
SAMPLE = [rng.gauss(5, 0.02) for _ in range(1000)]
URL = re.compile(r"https?://[^\s\"'<>)]+")
NAMESPACES = ("http://www.w3.org/", "http://purl.org/dc/", "http://creativecommons.org/ns")


def ours() -> str:
    from bridge.pages import stats, svg
    from bridge.pages.layout import page

    charts = [svg.line_chart([(f"s{s}", XS, CURVES[s]) for s in range(SERIES)],
                             title=f"chart {c}", x_label="step", y_label="V")
              for c in range(CHARTS)]
    edges, counts = stats.histogram(SAMPLE, 4.9, 5.1, 24)
    charts.append(svg.histogram(edges, counts, title="rail", x_label="V",
                                lines=[(4.95, "#d62728", "LSL"), (5.05, "#d62728", "USL")]))
    return page("bench", "".join(charts))


def plotly() -> str:
    import plotly.graph_objects as go
    from plotly.io import to_html

    parts = []
    for c in range(CHARTS):
        fig = go.Figure([go.Scatter(x=XS, y=CURVES[s], name=f"s{s}") for s in range(SERIES)])
        fig.update_layout(title=f"chart {c}", xaxis_title="step", yaxis_title="V")
        parts.append(to_html(fig, include_plotlyjs=(c == 0), full_html=False))
    fig = go.Figure([go.Histogram(x=SAMPLE, nbinsx=24)])
    parts.append(to_html(fig, include_plotlyjs=False, full_html=False))
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{''.join(parts)}" \
           "</body></html>"


def altair() -> str:
    import altair as alt

    rows = [{"x": x, "y": CURVES[s][i], "s": f"s{s}"} for s in range(SERIES)
            for i, x in enumerate(XS)]
    line = alt.Chart(alt.Data(values=rows)).mark_line().encode(x="x:Q", y="y:Q", color="s:N")
    hist = alt.Chart(alt.Data(values=[{"v": v} for v in SAMPLE])).mark_bar().encode(
        x=alt.X("v:Q", bin=alt.Bin(maxbins=24)), y="count()")
    chart = alt.vconcat(*[line.properties(title=f"chart {c}") for c in range(CHARTS)], hist)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.html"
        chart.save(str(path), inline=True)
        return path.read_text(encoding="utf-8")


def pygal() -> str:
    import pygal as pg

    parts = []
    for c in range(CHARTS):
        chart = pg.XY(title=f"chart {c}", show_dots=False, js=[], width=640, height=280)
        for s in range(SERIES):
            chart.add(f"s{s}", list(zip(XS, CURVES[s], strict=True)))
        parts.append(chart.render(is_unicode=True))
    hist = pg.Histogram(js=[], width=640, height=280)
    width = 0.2 / 24
    counts = [0] * 24
    for v in SAMPLE:
        counts[min(max(int((v - 4.9) / width), 0), 23)] += 1
    hist.add("rail", [(n, 4.9 + i * width, 4.9 + (i + 1) * width) for i, n in enumerate(counts)])
    parts.append(hist.render(is_unicode=True))
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{''.join(parts)}" \
           "</body></html>"


def matplotlib() -> str:
    import io

    import matplotlib as mpl

    mpl.use("svg")
    import matplotlib.pyplot as plt

    parts = []
    for c in range(CHARTS + 1):
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        if c < CHARTS:
            for s in range(SERIES):
                ax.plot(XS, CURVES[s], label=f"s{s}")
            ax.set(title=f"chart {c}", xlabel="step", ylabel="V")
        else:
            ax.hist(SAMPLE, bins=24)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
        plt.close(fig)
        parts.append(buffer.getvalue().split("?>", 1)[-1])
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{''.join(parts)}" \
           "</body></html>"


CANDIDATES: dict[str, tuple[str | None, Callable[[], str]]] = {
    "inline SVG (ours)": (None, ours),
    "Plotly, offline bundle": ("plotly", plotly),
    "Vega-Lite via Altair": ("altair", altair),
    "pygal": ("pygal", pygal),
    "matplotlib SVG": ("matplotlib", matplotlib),
}


def closure(name: str) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = re.split(r"[ ;<>=!~\[(]", todo.pop(), maxsplit=1)[0].lower().replace("_", "-")
        if current in seen:
            continue
        try:
            dist = md.distribution(current)
        except md.PackageNotFoundError:
            continue
        seen.add(current)
        todo += [r for r in dist.requires or [] if "extra ==" not in r]
    return seen


def install_mb(name: str) -> float:
    extra = closure(name) - closure("stand-bridge")
    total = 0
    for dist_name in extra:
        for file in md.distribution(dist_name).files or []:
            path = Path(file.locate())
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def browser_seconds(page: Path, workdir: Path) -> float | None:
    """Median wall time of Chromium opening the page and dumping its DOM."""
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    samples = []
    for attempt in range(3):
        started = time.perf_counter()
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--no-first-run", f"--user-data-dir={workdir / str(attempt)}",
                        "--dump-dom", page.as_uri()], capture_output=True, timeout=120,
                       check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        empty = work / "empty.html"
        empty.write_text("<!doctype html><title>empty</title>", encoding="utf-8")
        base = browser_seconds(empty, work / "empty")
        print(f"Chromium opening an empty page: {base:.2f} s" if base else "no Chromium")
        print(f"{'candidate':26} {'page kB':>8} {'write s':>8} {'open s':>7} {'URLs':>5} "
              f"{'install MB':>10}")
        for label, (dist, build) in CANDIDATES.items():
            if dist is not None and not closure(dist):
                print(f"{label:26} not installed")
                continue
            build()  # imports and caches warmed up: the second call is timed
            started = time.perf_counter()
            html = build()
            wrote = time.perf_counter() - started
            page = work / f"{len(label)}-{abs(hash(label))}.html"
            page.write_text(html, encoding="utf-8")
            opened = browser_seconds(page, work / page.stem)
            shown = "—" if opened is None else f"{opened:.2f}"
            urls = [u for u in URL.findall(html) if not u.startswith(NAMESPACES)]
            size = install_mb(dist) if dist else 0.0
            print(f"{label:26} {len(html.encode()) / 1000:8.0f} {wrote:8.2f} {shown:>7} "
                  f"{len(urls):5} {size:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
