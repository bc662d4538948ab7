"""Prometheus metrics of a running bot, served as `/metrics` (prometheus-client).

Labels are small closed sets — the kind of update, a known command's name, an outcome — never
a token, a chat or user id, or anything a user typed. Each application has its own registry
(so that several bots in one test process do not share counters).
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from telegram import Update

from bot.commands import NAMES, command_of

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LOCK_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "articlebot_updates",
            "Updates processed, by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "articlebot_handler_seconds",
            "Time to process an update, by command",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Counter(
            "articlebot_deliveries",
            "Broadcast deliveries ended, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "articlebot_outbox_depth",
            "Deliveries still to make (queued or not yet walked)",
            registry=self.registry,
        )
        self.oldest_pending = Gauge(
            "articlebot_outbox_oldest_pending_seconds",
            "Age of the oldest delivery still to make (0 when none)",
            registry=self.registry,
        )
        self.flood_waits = Counter(
            "articlebot_flood_waits", "429 answers to broadcasts", registry=self.registry
        )
        self.flood_paused = Counter(
            "articlebot_flood_paused_seconds",
            "Seconds broadcasts were paused by 429s",
            registry=self.registry,
        )
        self.feed_polls = Counter(
            "articlebot_feed_polls", "Feed polls, by result", ["result"], registry=self.registry
        )
        self.write_wait = Histogram(
            "articlebot_db_write_wait_seconds",
            "Time to obtain the database's write lock",
            buckets=LOCK_BUCKETS,
            registry=self.registry,
        )
        self.db_bytes = Gauge(
            "articlebot_db_bytes", "Size of the database file", registry=self.registry
        )
        self.telegram_unavailable = Gauge(
            "articlebot_telegram_unavailable",
            "1 while the Bot API is not answering and broadcasts are paused",
            registry=self.registry,
        )
        self.hooks = Counter(
            "articlebot_hooks",
            "CMS hooks received, by endpoint, event and outcome (refused: not signed)",
            ["endpoint", "event", "outcome"],
            registry=self.registry,
        )
        self.undelivered_broadcasts = Counter(
            "articlebot_broadcasts_with_undelivered",
            "Broadcasts that ended with cards that could not be delivered",
            registry=self.registry,
        )

    def observe_update(self, update: object, outcome: str, seconds: float) -> None:
        kind, command = self.classify(update)
        self.updates.labels(kind, outcome).inc()
        self.handler_seconds.labels(command).observe(seconds)

    def classify(self, update: object) -> tuple[str, str]:
        """(kind, command) of an update, from closed sets only."""
        if not isinstance(update, Update):
            return "other", "other"
        if update.callback_query is not None:
            return "button", "button"
        if update.inline_query is not None:
            return "inline", "inline"
        if update.my_chat_member is not None:
            return "membership", "membership"
        message = update.effective_message
        if message is None:
            return "other", "other"
        name = command_of(message)
        if name is not None:
            return "command", name if name in NAMES else "other"
        return "message", "text" if message.text else "other"

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def handle(self, request: web.Request) -> web.Response:
        """`GET /metrics`."""
        return web.Response(body=self.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def serve_metrics(metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """`/metrics` on a server of its own (polling mode); the caller cleans it up."""
    app = web.Application()
    app.router.add_get("/metrics", metrics.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
