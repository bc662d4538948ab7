"""The offline sandbox, as a person uses it: a process, typed lines in, the chat out."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ARTICLEBOT = str(Path(sys.executable).with_name("articlebot"))


async def converse(args: list[str], lines: list[str], tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    proc = await asyncio.create_subprocess_exec(
        ARTICLEBOT, *args, env=env, cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    output = ""

    async def read_until(text: str) -> None:
        nonlocal output
        while text not in output:
            chunk = await asyncio.wait_for(proc.stdout.read(4096), 20)  # type: ignore[union-attr]
            assert chunk, f"sandbox ended before {text!r}:\n{output}"
            output += chunk.decode()

    try:
        await read_until("[2] 🔔 Subscribe")  # the greeting is there
        for line, expected in lines:
            proc.stdin.write(line.encode() + b"\n")
            await proc.stdin.drain()
            await read_until(expected)
        proc.stdin.write(b"quit\n")
        await proc.stdin.drain()
        rest, _ = await asyncio.wait_for(proc.communicate(), 20)
        output += rest.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    return output


async def test_sandbox_chat_latest_buttons_search_and_a_broadcast(tmp_path: Path) -> None:
    output = await converse(
        ["sandbox", "--subscribers", "30"],
        [
            ("/latest", "[6] ▶"),
            ("6", "6. "),  # ▶ turns the page in place
            ("1", "[2] ↗ Share"),  # opens that article's card
            ("/search mariategui", "🔎 mariategui — 1 result"),
            (":publish Sandbox news", "✅ Broadcast finished: Sandbox news"),
            ("/stats", "Statistics"),  # a chart: saved, its caption shown
        ],
        tmp_path,
    )
    assert "Latest articles · 1–5" in output
    assert "(edited)" in output
    assert "sent 30 · failed 0" in output
    assert list(tmp_path.iterdir()) == []  # nothing left behind


async def test_make_run_without_a_token_starts_the_sandbox(tmp_path: Path) -> None:
    output = await converse(["run", "--sandbox-if-no-token"], [], tmp_path)
    assert output.startswith("No BOT_TOKEN set: starting the offline sandbox")
    assert "put BOT_TOKEN in .env" in output
