"""Helpers shared by the benchmarks: synthetic text and latency tables."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import BotApplication
    from bot.sandbox import BotApiStandIn
    from storage import Storage

SYLLABLES = (
    "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go la le li lo lu "
    "ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti "
    "to tu va ve vi vo za ze zi zo an en in on ar er ir or al el il ol ás és ís ós ú"
).split()


def vocabulary(size: int, seed: int = 7) -> list[str]:
    """Pronounceable pseudo-words, some with accents, most frequent first (Zipf order)."""
    rng = random.Random(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        if word not in seen and len(word) > 1:
            seen.add(word)
            words.append(word)
    words.sort(key=len)  # short words are the common ones, as in real language
    return words


class TextGenerator:
    """Zipf-distributed words: rank r appears with weight 1/r."""

    def __init__(self, vocab: Sequence[str], seed: int = 11) -> None:
        self.vocab = list(vocab)
        self.rng = random.Random(seed)
        total = 0.0
        self.cumulative: list[float] = []
        for rank in range(1, len(vocab) + 1):
            total += 1.0 / rank
            self.cumulative.append(total)

    def words(self, count: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cumulative, k=count)

    def sentence(self, count: int) -> str:
        words = self.words(count)
        return " ".join(words).capitalize()


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def standin_bot(api: BotApiStandIn, store: Storage) -> BotApplication:
    """The real bot, built to talk to the stand-in `api`, on `store`, in this process."""
    from bot.app import build_application  # the Telegram stack, only for benches that run it
    from config import Settings

    settings = Settings(
        _env_file=None,
        bot_token=api.token,  # type: ignore[call-arg]
        telegram_api_url=api.base_url,
    )
    return build_application(settings, store)
