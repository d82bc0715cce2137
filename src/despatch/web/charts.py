"""Charts drawn on the server as inline SVG: this module works out the shapes, the template
``_chart.html`` writes them. No script and no inline style (the CSP allows neither): colours
come from classes in despatch.css. Each bar and point can link to the orders behind it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 28  # room for the axis labels


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # the class that colours it (bar-in, bar-out, line-rate)


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str
    href: str = ""

    def __post_init__(self) -> None:  # one decimal is plenty for a pixel, and short to write
        for name in ("x", "y", "w", "h"):
            object.__setattr__(self, name, round(getattr(self, name), 1))


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", round(self.x, 1))
        object.__setattr__(self, "y", round(self.y, 1))


@dataclass
class Chart:
    title: str
    series: list[Series]
    width: int = WIDTH
    height: int = HEIGHT
    marks: list[Mark] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)
    grid: list[tuple[float, Text]] = field(default_factory=list)  # (y, its label)
    line: str = ""  # "x,y x,y" of a polyline, when the chart is a line
    dots: list[Mark] = field(default_factory=list)

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM

    @property
    def right(self) -> float:
        return self.width - RIGHT


def nice_top(value: float) -> int:
    """A round top for the value axis: 1, 2, 5, 10, 20, 50... at least ``value``."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)  # pragma: no cover


def bars(
    title: str,
    series: Sequence[Series],
    groups: Sequence[tuple[str, Sequence[tuple[int, str, str]]]],
    label_every: int = 1,
    width: int = WIDTH,
) -> Chart:
    """Grouped bars: per group a label and, per series, (value, title, link)."""
    chart = Chart(title, list(series), width=width)
    top = nice_top(max((v for _, values in groups for v, _, _ in values), default=0))
    plot_w, plot_h = chart.right - LEFT, chart.baseline - TOP
    slot = plot_w / max(1, len(groups))
    bar_w = slot * 0.8 / max(1, len(series))
    for n, (label, values) in enumerate(groups):
        x0 = LEFT + n * slot + slot * 0.1
        for k, (value, text, href) in enumerate(values):
            h = plot_h * value / top
            css = series[k].css
            chart.marks.append(Mark(x0 + k * bar_w, chart.baseline - h, bar_w, h, css, text, href))
        if n % label_every == 0:
            chart.labels.append(Text(LEFT + n * slot + slot / 2, chart.height - 10, label))
    _grid(chart, top)
    return chart


def line(title: str, series: Series, points: Sequence[tuple[str, float | None, str, str]]) -> Chart:
    """A line of rates (0 to 1) per label: (label, value or None for a gap, title, link)."""
    chart = Chart(title, [series])
    plot_w, plot_h = chart.right - LEFT, chart.baseline - TOP
    slot = plot_w / max(1, len(points))
    drawn = []
    for n, (label, value, text, href) in enumerate(points):
        x = LEFT + n * slot + slot / 2
        chart.labels.append(Text(x, chart.height - 10, label))
        if value is None:
            continue
        y = chart.baseline - plot_h * value
        drawn.append(f"{x:.1f},{y:.1f}")
        chart.dots.append(Mark(x, y, 4, 4, series.css, text, href))
    chart.line = " ".join(drawn)
    _grid(chart, 1, percent=True)
    return chart


def _grid(chart: Chart, top: float, *, percent: bool = False) -> None:
    """Five lines up the value axis; a count axis labels whole numbers only."""
    plot_h = chart.baseline - TOP
    for step in range(5):
        value = top * step / 4
        if not percent and not float(value).is_integer():
            continue  # no half orders on the axis
        y = chart.baseline - plot_h * step / 4
        text = f"{value:.0%}" if percent else str(int(value))
        chart.grid.append((round(y, 1), Text(LEFT - 6, y + 4, text, "end")))
