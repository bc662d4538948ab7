"""The picture of /stats: the last 30 days of subscriptions and deliveries, as a PNG.

Drawn with matplotlib (its Agg backend, no display): chosen by measurement over pygal, whose
PNGs need the system's Cairo library, and Pillow, which would mean drawing axes by hand.
Importing it takes about 0.4 s and 55 MB, so it is imported only when a chart is drawn,
never at start-up, and drawing runs in a worker thread. The figures come from the per-day
counts (`subscription_days`, `delivery_days`), which outlive the pruning of delivery rows.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from storage import Storage

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DAYS = 30
WIDTH, HEIGHT, DPI = 1200, 800, 100  # pixels


@dataclass(frozen=True)
class DailyFigures:
    days: tuple[date, ...]
    subscribed: tuple[int, ...]
    unsubscribed: tuple[int, ...]
    sent: tuple[int, ...]
    failed: tuple[int, ...]


async def daily_figures(storage: Storage, today: date, days: int = DAYS) -> DailyFigures:
    """The last `days` days up to `today`, zeros where nothing happened."""
    span = tuple(today - timedelta(days=n) for n in reversed(range(days)))
    since = span[0].isoformat()
    subscriptions = await storage.chats.days(since)
    deliveries = await storage.deliveries.days(since)

    def series(found: dict[str, dict[str, int]], key: str) -> tuple[int, ...]:
        return tuple(found.get(day.isoformat(), {}).get(key, 0) for day in span)

    return DailyFigures(
        span,
        series(subscriptions, "subscribed"),
        series(subscriptions, "unsubscribed"),
        series(deliveries, "sent"),
        series(deliveries, "failed"),
    )


def render_png(
    figures: DailyFigures, labels: dict[str, str], day_label: Callable[[date], str]
) -> bytes:
    """The chart as PNG bytes, WIDTH by HEIGHT pixels. `labels` holds the translated words
    (subscriptions, new, ended, deliveries, sent, failed), `day_label` writes a day."""
    buffer = io.BytesIO()
    draw(figures, labels, day_label).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def draw(
    figures: DailyFigures, labels: dict[str, str], day_label: Callable[[date], str]
) -> Figure:
    """Counts as they are: whole numbers on axes that start at 0, with room above the
    tallest bar; each series' total in its legend; the days' range in the titles."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    x = range(len(figures.days))

    def named(key: str, values: tuple[int, ...]) -> str:
        return f"{labels[key]} ({sum(values):,})"

    top.bar(
        [i - 0.2 for i in x],
        figures.subscribed,
        width=0.4,
        label=named("new", figures.subscribed),
        color="#2e7d32",
    )
    top.bar(
        [i + 0.2 for i in x],
        figures.unsubscribed,
        width=0.4,
        label=named("ended", figures.unsubscribed),
        color="#c62828",
    )
    bottom.bar(x, figures.sent, label=named("sent", figures.sent), color="#1565c0")
    bottom.bar(
        x,
        figures.failed,
        bottom=figures.sent,
        label=named("failed", figures.failed),
        color="#ef6c00",
    )
    span = f"{day_label(figures.days[0])} – {day_label(figures.days[-1])}"
    top.set_title(f"{labels['subscriptions']}, {span}")
    bottom.set_title(f"{labels['deliveries']}, {span}")
    tallest = (
        max((*figures.subscribed, *figures.unsubscribed), default=0),
        max((s + f for s, f in zip(figures.sent, figures.failed, strict=True)), default=0),
    )
    ticks = list(x)[:: max(1, len(figures.days) // 10)]
    bottom.set_xticks(ticks, [day_label(figures.days[i]) for i in ticks])
    for axes, highest in zip((top, bottom), tallest, strict=True):
        axes.set_ylim(0, max(highest, 4) * 1.15)  # never below 0; room for the legend
        axes.legend(loc="upper left")
        axes.grid(axis="y", alpha=0.3)
        axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    return figure
