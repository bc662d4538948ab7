"""The /stats chart: its figures come from the per-day counts, which outlive pruning."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from bot import render
from bot.cli import cli
from bot.i18n import Catalog
from bot.render import chart
from storage import ChatInfo, Storage
from tests.test_bot_admin import png_size


async def set_day(storage: Storage, table: str, day: date, key: str, n: int) -> None:
    column = "event" if table == "subscription_days" else "status"
    async with storage.db.atomic() as conn:
        await conn.execute(
            f"INSERT INTO {table} (day, {column}, n) VALUES (?, ?, ?) "
            f"ON CONFLICT (day, {column}) DO UPDATE SET n = excluded.n",
            (day.isoformat(), key, n),
        )


async def test_daily_figures_are_the_stored_counts(storage: Storage) -> None:
    today = date(2026, 11, 28)
    await set_day(storage, "subscription_days", today, "subscribed", 7)
    await set_day(storage, "subscription_days", today - timedelta(days=2), "unsubscribed", 3)
    await set_day(storage, "delivery_days", today - timedelta(days=1), "sent", 950)
    await set_day(storage, "delivery_days", today - timedelta(days=1), "failed", 50)
    await set_day(storage, "delivery_days", today - timedelta(days=30), "sent", 999)  # too old
    figures = await chart.daily_figures(storage, today)
    assert (figures.days[0], figures.days[-1]) == (today - timedelta(days=29), today)
    assert figures.subscribed[-1] == 7 and sum(figures.subscribed) == 7
    assert figures.unsubscribed[-3] == 3 and sum(figures.unsubscribed) == 3
    assert (figures.sent[-2], figures.failed[-2], sum(figures.sent)) == (950, 50, 950)
    t = Catalog.load().for_language("es")
    png = chart.render_png(figures, render.chart_labels(t), t.day_month)
    assert png_size(png) == (chart.WIDTH, chart.HEIGHT)


async def test_subscribing_and_unsubscribing_are_counted_per_day(storage: Storage) -> None:
    await storage.chats.subscribe(ChatInfo(1, "private"))
    await storage.chats.subscribe(ChatInfo(1, "private"), topics=("lima",))  # a change
    await storage.chats.subscribe(ChatInfo(2, "private"))
    await storage.chats.unsubscribe(2)
    today = datetime.now(UTC).date()
    figures = await chart.daily_figures(storage, today)
    assert (figures.subscribed[-1], figures.unsubscribed[-1]) == (2, 1)


def test_cli_writes_the_chart(tmp_path: Path) -> None:
    target, database = tmp_path / "stats.png", str(tmp_path / "x.db")
    assert CliRunner().invoke(cli, ["--db", database, "db", "migrate"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--db", database, "stats", "--chart", str(target)])
    assert result.exit_code == 0, result.output
    assert png_size(target.read_bytes()) == (chart.WIDTH, chart.HEIGHT)


def figures_with(sent: dict[int, int]) -> chart.DailyFigures:
    days = tuple(date(2026, 11, 1) + timedelta(days=n) for n in range(30))
    zeros = (0,) * 30
    return chart.DailyFigures(days, zeros, zeros, tuple(sent.get(n, 0) for n in range(30)), zeros)


def test_the_chart_tells_the_truth() -> None:
    """No negative counts, room above the tallest bar, totals in the legends, the range of
    days in the titles."""
    t = Catalog.load().for_language("en")
    labels = render.chart_labels(t)
    empty = chart.draw(figures_with({}), labels, t.day_month)
    for axes in empty.axes:
        bottom, top = axes.get_ylim()
        assert bottom == 0 and top > 0
    busy = chart.draw(figures_with({3: 41, 4: 20}), labels, t.day_month)
    deliveries = busy.axes[1]
    assert deliveries.get_ylim()[1] > 41
    legend = [text.get_text() for text in deliveries.get_legend().get_texts()]
    assert legend == [f"{labels['sent']} (61)", f"{labels['failed']} (0)"]
    assert t.day_month(date(2026, 11, 1)) in deliveries.get_title()
    assert t.day_month(date(2026, 11, 30)) in deliveries.get_title()


def test_cli_refuses_a_chart_name_that_is_not_png(tmp_path: Path) -> None:
    target, database = tmp_path / "stats.jpg", str(tmp_path / "x.db")
    assert CliRunner().invoke(cli, ["--db", database, "db", "migrate"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--db", database, "stats", "--chart", str(target)])
    assert result.exit_code != 0
    assert "stats.png" in result.output
    assert not target.exists()
