"""The offline sandbox, as a person uses it: a process, typed lines in, the chat out."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from babel.dates import format_date

ARTICLEBOT = str(Path(sys.executable).with_name("articlebot"))


Line = str | Callable[[str], str]  # what to type, or how to find it in the output so far


def button(label: str) -> Callable[[str], str]:
    """The number last printed for the button `label` (numbers depend on what came first)."""
    return lambda output: re.findall(rf"\[(\d+)\] {re.escape(label)}", output)[-1]


async def converse(args: list[str], lines: list[tuple[Line, str]], tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    proc = await asyncio.create_subprocess_exec(
        ARTICLEBOT,
        *args,
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    output = ""

    async def read_until(text: str) -> None:
        nonlocal output
        while text not in output:
            try:
                chunk = await asyncio.wait_for(proc.stdout.read(4096), 20)  # type: ignore[union-attr]
            except TimeoutError:
                raise AssertionError(f"no {text!r} in 20 s:\n{output[-1500:]}") from None
            assert chunk, f"sandbox ended before {text!r}:\n{output}"
            output += chunk.decode()

    try:
        await read_until("admin@private> ")  # greeted, and asked
        for line, expected in lines:
            typed = line if isinstance(line, str) else line(output)
            proc.stdin.write(typed.encode() + b"\n")
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
            ("/latest", "[8] ▶"),
            ("8", "[12] ◀"),  # ▶ turns the page in place; its buttons get new numbers
            ("8", "(button 8 is gone: its message was edited)"),  # as on Telegram
            ("9", "[14] ↗ Share"),  # opens that article's card
            ("14", "[15] Amazon fires"),  # ↗ Share: inline mode with its title
            ("/search mariategui", "🔎 mariategui — 1 result"),
            (":publish Sandbox news", "✅ Broadcast finished: Sandbox news"),
            ("/stats", "Statistics"),  # a chart: saved, its caption shown
        ],
        tmp_path,
    )
    assert "Latest articles · 1–5" in output
    assert "(edited)" in output
    assert "\nadmin@private> " in output  # a prompt says who and where you are
    assert "sent 30 · failed 0" in output
    assert list(tmp_path.iterdir()) == []  # nothing left behind


async def test_make_run_without_a_token_starts_the_sandbox(tmp_path: Path) -> None:
    output = await converse(["run", "--sandbox-if-no-token"], [], tmp_path)
    assert output.startswith("No BOT_TOKEN set: starting the offline sandbox")
    assert "put BOT_TOKEN in .env" in output


async def test_sandbox_roles_places_a_channel_inline_mode_and_steady_numbers(
    tmp_path: Path,
) -> None:
    output = await converse(
        ["sandbox", "--subscribers", "40", "--lang", "es"],
        [
            (":as reader", "(eres el usuario 2, un lector, no administrador, en tu chat privado"),
            ("1", "(el botón 1 está en otro chat"),  # the admin's 📰, not the reader's
            ("/add", "Solo los administradores del bot"),
            (":in group", "reader@group> "),
            ("/subscribe", "solo los administradores de este grupo"),
            (":as admin", "admin@group> "),
            ("/subscribe", "→ Grupo de prueba:\n🔔 Suscrito"),
            (":in private", "admin@private> "),
            ("/subscribe @sandboxnews", "llegarán a @sandboxnews"),
            ("@articlebot_test_bot mariategui", "[3] Mariátegui, cien años después"),
            ("3", "— tú, vía @articlebot_test_bot → el chat con el bot:\nMariátegui"),
            (":publish Otra noticia", "⛔ Cancelar"),
            ("/latest", "Últimos artículos · 1–5"),  # while the progress is still edited
            ("1", "→ tú (editado):\nÚltimos artículos"),  # [1] is still the welcome's 📰
        ],
        tmp_path,
    )
    assert "Hola" in output
    for place in ("@sandboxnews", "Grupo de prueba"):  # the channel's and the group's cards
        assert re.search(rf"→ {place}: \[una imagen: https://\S+\]\nOtra noticia", output)
    assert "Envío terminado: Otra noticia" in output
    assert "cancelado" not in output.lower()


async def test_sandbox_moves_the_clock_for_digests(tmp_path: Path) -> None:
    await converse(
        ["sandbox", "--subscribers", "0"],
        [
            ("/subscribe", "Subscribed"),
            ("/digest daily 08:00", "A daily digest at 08:00 (UTC)"),
            (":publish Uno", "(published"),
            (":later 1d", "🗞 Your daily digest: 1 new article\n\n• Uno"),
        ],
        tmp_path,
    )


async def test_after_later_the_whole_bot_reads_the_moved_clock(tmp_path: Path) -> None:
    """One clock: what /timezone says follows `:later` as digests and schedules do."""
    tomorrow = format_date(datetime.now(UTC) + timedelta(days=1), "EEE d MMM", locale="en")
    output = await converse(
        ["sandbox", "--subscribers", "0"],
        [(":later 1d", "(the clock is now 24.0 h ahead)"), ("/timezone", f"on {tomorrow} there")],
        tmp_path,
    )
    assert f"on {tomorrow} there" in output


async def test_sandbox_shows_a_photo_card_its_correction_and_a_rich_message(
    tmp_path: Path,
) -> None:
    output = await converse(
        ["sandbox", "--subscribers", "3"],
        [
            ("/subscribe", "Subscribed"),
            (":publish Lima elige alcalde", "✅ Broadcast finished: Lima elige alcalde"),
            ("/edit 9", "✏️ Title"),
            (button("✏️ Title"), "Send the new title"),
            ("Lima elige alcaldesa", "✅ Corrected 4 cards in place."),
            ("/start r1", "Read on the site ↗"),
        ],
        tmp_path,
    )
    card = output.index("you: [a picture: https://demo.articlebot.invalid/img/")
    assert "Lima elige alcalde\n" in output[card:] and "📖 Read here" in output[card:]
    corrected = output.index("you (edited):\nLima elige alcaldesa")
    assert "📖 Read here" in output[corrected:]
    rich = output[output.index("(a rich message):") :]
    assert "  • Un Senado de 60 miembros." in rich
    assert "  │ «Es la reforma más importante" in rich  # the quote's text on its bar
