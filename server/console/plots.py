"""Small server-rendered SVG line plots (no chart library, nothing runs in the browser)."""

from __future__ import annotations

from dataclasses import dataclass

# Okabe–Ito: distinguishable with colour blindness, dark enough on white for lines.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000")


@dataclass(frozen=True)
class Series:
    label: str
    points: list[int]  # one value per x step
    colour: str = ""


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    x_labels: list[tuple[int, str]]  # (index, text)
    y_max: int
    series: list[Series]
    limit: int | None = None  # a horizontal line (a rate limit)
    steps: int = 0

    def x(self, index: int) -> float:
        left, right = 48, self.width - 12
        return left + (right - left) * index / max(1, self.steps - 1)

    def y(self, value: float) -> float:
        top, bottom = 12, self.height - 28
        return bottom - (bottom - top) * value / max(1, self.y_max)

    def polyline(self, series: Series) -> str:
        return " ".join(f"{self.x(i):.1f},{self.y(v):.1f}" for i, v in enumerate(series.points))

    @property
    def y_ticks(self) -> list[int]:
        return list(range(0, self.y_max + 1, nice_step(self.y_max)))


def nice_step(peak: int) -> int:
    """A 1/2/5 × 10^k step giving at most five gridlines up to ``peak``."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if peak / step <= 4:
                return step
        magnitude *= 10


def line_plot(
    *,
    series: list[Series],
    steps: int,
    x_labels: list[tuple[int, str]],
    limit: int | None = None,
    width: int = 800,
    height: int = 240,
) -> Plot:
    peak = max([max(s.points, default=0) for s in series] + [limit or 0, 1])
    step = nice_step(peak)
    peak = -(-peak // step) * step  # up to the next gridline
    coloured = [
        Series(s.label, s.points, s.colour or PALETTE[i % len(PALETTE)])
        for i, s in enumerate(series)
    ]
    return Plot(width, height, x_labels, peak, coloured, limit, steps)
