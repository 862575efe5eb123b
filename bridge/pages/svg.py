"""Charts as inline SVG text: no library, no script, nothing fetched when a page opens.

Chosen by measurement (bench/bench_charts.py): against Plotly's offline bundle,
Vega-Lite via Altair, pygal and matplotlib, hand-written SVG gave the smallest pages,
the fastest render and nothing to install on a stand. Every chart is an
``<svg class="chart">`` so that a browser test can count what was drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 44
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-9 and len(ticks) < 50:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def log_ticks(low: float, high: float) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0 ** e for e in range(first, max(last, first + 1) + 1)]


def number(value: float) -> str:
    """A tick or statistic as a person writes it: 4 significant digits."""
    if value == 0:
        return "0"
    if value == int(value) and abs(value) < 1e7:
        return str(int(value))
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.3g}"
    return f"{value:.4g}"


class Axis:
    """A linear or log mapping from data to pixels, with its ticks."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool = False):
        self.log = log and low > 0
        self.ticks = log_ticks(low, high) if self.log else nice_ticks(low, high)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.start, self.end = start, end

    def __call__(self, value: float) -> float:
        if self.log:
            low, high = math.log10(self.low), math.log10(self.high)
            value = math.log10(value) if value > 0 else low
        else:
            low, high = self.low, self.high
        span = (high - low) or 1.0
        return round(self.start + (value - low) / span * (self.end - self.start), 1)


class Frame:
    """The plot area of one chart: axes, grid, labels; shapes are added to it."""

    def __init__(self, x: Axis, y: Axis, title: str, x_label: str, y_label: str,
                 kind: str, height: int = HEIGHT, x_names: Sequence[str] = ()):
        self.x, self.y, self.height, self.kind = x, y, height, kind
        self.x_names = list(x_names)  # category names for x = 1, 2, …
        self.parts: list[str] = []
        self.title, self.x_label, self.y_label = title, x_label, y_label

    def add(self, svg: str) -> None:
        self.parts.append(svg)

    def hline(self, value: float, colour: str, label: str, dash: str = "6 3") -> None:
        if not self.y.low <= value <= self.y.high:
            return
        y = self.y(value)
        self.add(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="{colour}" '
                 f'stroke-dasharray="{dash}"/><text x="{WIDTH - RIGHT - 2}" y="{y - 3}" '
                 f'text-anchor="end" fill="{colour}">{escape(label)}</text>')

    def vline(self, value: float, colour: str, label: str, dash: str = "6 3") -> None:
        if not self.x.low <= value <= self.x.high:
            return
        x = self.x(value)
        self.add(f'<line x1="{x}" x2="{x}" y1="{TOP}" y2="{self.height - BOTTOM}" '
                 f'stroke="{colour}" stroke-dasharray="{dash}"/><text x="{x + 3}" '
                 f'y="{TOP + 10}" fill="{colour}">{escape(label)}</text>')

    def render(self) -> str:
        h, bottom = self.height, self.height - BOTTOM
        grid = []
        for t in self.y.ticks:
            y = self.y(t)
            grid.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" '
                        f'class="grid"/><text x="{LEFT - 4}" y="{y + 4}" '
                        f'text-anchor="end">{number(t)}</text>')
        ticks = self.x.ticks
        if self.x_names:
            every = max(1, len(self.x_names) // 6)
            ticks = list(range(1, len(self.x_names) + 1, every))
        for t in ticks:
            x = self.x(t)
            name = self.x_names[int(t) - 1] if self.x_names else number(t)
            grid.append(f'<line x1="{x}" x2="{x}" y1="{bottom}" y2="{bottom + 4}" '
                        f'stroke="#555"/><text x="{x}" y="{bottom + 16}" '
                        f'text-anchor="middle">{escape(name)}</text>')
        return (
            f'<svg class="chart" data-kind="{self.kind}" viewBox="0 0 {WIDTH} {h}" '
            f'width="{WIDTH}" height="{h}" '
            f'role="img" aria-label="{escape(self.title)}">'
            f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" class="title">'
            f'{escape(self.title)}</text>{"".join(grid)}'
            f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{bottom - TOP}" class="frame"/>{"".join(self.parts)}'
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{h - 6}" text-anchor="middle">'
            f'{escape(self.x_label)}</text><text transform="translate(14 {(TOP + bottom) / 2}) '
            f'rotate(-90)" text-anchor="middle">{escape(self.y_label)}</text></svg>'
        )


def _bounds(values: Sequence[float], extra: Sequence[float | None] = ()) -> tuple[float, float]:
    finite = [v for v in (*values, *extra) if v is not None and math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    return min(finite), max(finite)


def line_chart(series: Sequence[tuple[str | None, Sequence[float], Sequence[float]]], *,
               title: str = "", x_label: str = "", y_label: str = "",
               log_x: bool = False, log_y: bool = False, x_names: Sequence[str] = ()) -> str:
    """Curves (name, xs, ys) on shared axes; a legend when there is more than one.

    ``x_names``: x is a category (1, 2, …), labelled with these names."""
    xs = [x for _, sx, _ in series for x in sx if not log_x or x > 0]
    ys = [y for _, _, sy in series for y in sy if not log_y or y > 0]
    x = Axis(*_bounds(xs), LEFT, WIDTH - RIGHT, log_x)
    y = Axis(*_bounds(ys), HEIGHT - BOTTOM, TOP, log_y)
    if x_names:
        x = Axis(1, max(len(x_names), 2), LEFT + 30, WIDTH - RIGHT - 30)
        x.low, x.high = 1, max(len(x_names), 2)
    frame = Frame(x, y, title, x_label, y_label, "line", x_names=x_names)
    for index, (name, sx, sy) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        points = " ".join(f"{x(a):g},{y(b):g}" for a, b in zip(sx, sy, strict=False)
                          if (not log_x or a > 0) and (not log_y or b > 0))
        frame.add(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                  f'stroke-width="1.5"/>')
        if len(series) > 1 or name:
            frame.add(f'<text x="{LEFT + 8}" y="{TOP + 14 + 13 * index}" fill="{colour}">'
                      f'— {escape(name or f"series {index + 1}")}</text>')
    return frame.render()


def histogram(edges: Sequence[float], counts: Sequence[int], *, title: str, x_label: str,
              lines: Sequence[tuple[float | None, str, str]] = ()) -> str:
    """Bars between ``edges``; ``lines`` are (value, colour, label): limits, mean."""
    x = Axis(*_bounds(edges, [v for v, _, _ in lines]), LEFT, WIDTH - RIGHT)
    y = Axis(0, max(counts, default=1) or 1, HEIGHT - BOTTOM, TOP)
    frame = Frame(x, y, title, x_label, "count", "histogram")
    for low, high, count in zip(edges, edges[1:], counts, strict=False):
        if count:
            left, top = x(low), y(count)
            frame.add(f'<rect x="{left}" y="{top}" width="{max(x(high) - left - 1, 1):.1f}" '
                      f'height="{y(0) - top:.1f}" fill="#1f77b4"/>')
    for value, colour, label in lines:
        if value is not None:
            frame.vline(value, colour, label)
    return frame.render()


def run_chart(values: Sequence[float], *, title: str, y_label: str, centre: float,
              lcl: float, ucl: float, flagged: set[int],
              limits: tuple[float | None, float | None] = (None, None)) -> str:
    """Values in time order with centre line and control limits; flagged points in red."""
    extra = [centre, lcl, ucl, *limits]
    x = Axis(1, max(len(values), 2), LEFT, WIDTH - RIGHT)
    y = Axis(*_bounds(values, extra), HEIGHT - BOTTOM, TOP)
    frame = Frame(x, y, title, "run (oldest → newest)", y_label, "run")
    points = " ".join(f"{x(i + 1):g},{y(v):g}" for i, v in enumerate(values))
    frame.add(f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="1"/>')
    for i, v in enumerate(values):
        if i in flagged:
            frame.add(f'<circle cx="{x(i + 1)}" cy="{y(v)}" r="3" fill="#d62728"/>')
    frame.hline(centre, "#2ca02c", "CL", "2 2")
    frame.hline(ucl, "#ff7f0e", "UCL")
    frame.hline(lcl, "#ff7f0e", "LCL")
    for value, label in zip(limits, ("LSL", "USL"), strict=True):
        if value is not None:
            frame.hline(value, "#d62728", label, "1 0")
    return frame.render()


def bars(items: Sequence[tuple[str, float]], *, title: str, unit: str = "",
         cumulative: bool = False) -> str:
    """Horizontal bars, largest first as given; a Pareto adds the cumulative share."""
    row, label_width = 20, 230
    height = TOP + row * max(len(items), 1) + 10
    top = max((v for _, v in items), default=1) or 1
    total = sum(v for _, v in items) or 1
    parts, running = [], 0.0
    for i, (label, value) in enumerate(items):
        y = TOP + i * row
        width = (WIDTH - label_width - 90) * value / top
        running += value
        share = f" ({100 * running / total:.0f} % cum.)" if cumulative else ""
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">'
                     f'{escape(label[:38])}</text><rect x="{label_width}" y="{y + 3}" '
                     f'width="{max(width, 1):.1f}" height="{row - 6}" fill="#d62728"/>'
                     f'<text x="{label_width + width + 4:.1f}" y="{y + 14}">'
                     f'{number(value)}{escape(unit)}{share}</text>')
    return (f'<svg class="chart" data-kind="bars" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" role="img" '
            f'aria-label="{escape(title)}">'
            f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" class="title">{escape(title)}'
            f'</text>{"".join(parts)}</svg>')
