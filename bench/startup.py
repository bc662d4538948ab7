"""Start-up time of the `articlebot` command, verb by verb, against a bare Python process.

    python bench/startup.py [--runs 10]

Each verb runs as a new process (the console script, as a user runs it) against a small
archive; the baseline is `python -c "import click, aiosqlite"`, the least a command-line
tool on SQLite loads. Reported: the median wall time of `--runs` runs and its ratio to the
baseline's median, measured in the same run, interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import table
from storage import NewArticle, Storage

VERBS = (["--help"], ["latest", "-n", "5"], ["search", "peru"], ["show", "1"], ["health"])


async def prepare(path: Path) -> None:
    """A few articles, and fresh heartbeats, so that every verb does its real work."""
    async with await Storage.open(path) as store:
        for n in range(1, 51):
            title = f"Perú: noticia {n}" if n % 5 == 0 else f"Noticia {n}"
            await store.articles.add(
                NewArticle(url=f"https://news.example/{n}", title=title, summary="Resumen."),
                announce=False,
            )
        now = time.time()
        await store.record_heartbeats({"updates": now, "sending": now})


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    articlebot = str(Path(sys.executable).with_name("articlebot"))
    baseline = [sys.executable, "-c", "import click, aiosqlite"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "startup.db"
        asyncio.run(prepare(path))
        env = {**os.environ, "DATABASE_PATH": str(path), "BOT_MODE": "polling"}
        commands = {"(baseline) import click, aiosqlite": baseline}
        commands |= {" ".join(verb): [articlebot, *verb] for verb in VERBS}
        for command in commands.values():  # warm the file cache and the bytecode
            timed(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so that drift hits every command alike
            for name, command in commands.items():
                times[name].append(timed(command, env))
    medians = {name: statistics.median(found) for name, found in times.items()}
    base = medians["(baseline) import click, aiosqlite"]
    rows = [(name, median * 1000, median / base) for name, median in medians.items()]
    print(f"median of {args.runs} runs each\n")
    print(table(["command", "median ms", "× baseline"], rows))


if __name__ == "__main__":
    main()
