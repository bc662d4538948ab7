"""The bot's commands in one table: the command menu, the admin gate and the admin filter,
the metrics' labels and the handler list all read it.

Which command a message carries is decided as Telegram marks it and python-telegram-bot
dispatches on it: the message's first entity, a `bot_command` at offset 0. Telegram ends a
command at the first character outside `[A-Za-z0-9_]` (`/stats.` is `/stats`), so nothing
that looks at the text instead (a split at spaces) can tell what will run.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, MessageEntity

from bot.i18n import N_


@dataclass(frozen=True)
class Command:
    name: str
    about: str | None  # its line in the command menu (translated); None: not in the menu
    admin: bool = False  # only ADMIN_IDS may run it


COMMANDS = (
    Command("latest", N_("The newest articles")),
    Command("search", N_("Search the archive")),
    Command("article", N_("Open an article by number")),
    Command("subscribe", N_("Receive new articles here")),
    Command("unsubscribe", N_("Stop receiving articles")),
    Command("subscriptions", N_("What this chat receives")),
    Command("digest", N_("Articles together, daily or weekly")),
    Command("quiet", N_("Hours without cards")),
    Command("timezone", N_("This chat's time zone")),
    Command("silent", N_("Cards without a sound")),
    Command("cards", N_("Photo, preview or text cards")),
    Command("language", N_("This chat's language")),
    Command("help", N_("What this bot can do")),
    Command("start", None),
    Command("cancel", None),
    Command("add", N_("Publish an article"), admin=True),
    Command("edit", N_("Edit an article"), admin=True),
    Command("delete", N_("Delete an article"), admin=True),
    Command("stats", N_("Statistics"), admin=True),
    Command("feeds", N_("Followed feeds"), admin=True),
    Command("channels", N_("Subscribed channels"), admin=True),
    Command("scheduled", N_("Articles waiting for their time"), admin=True),
)
NAMES = frozenset(command.name for command in COMMANDS)
ADMIN_COMMANDS = frozenset(command.name for command in COMMANDS if command.admin)


def menu(*, admin: bool) -> list[tuple[str, str]]:
    """(name, line) of the commands a reader's (or an admin's) menu lists."""
    return [(c.name, c.about) for c in COMMANDS if c.about is not None and (admin or not c.admin)]


def command_of(message: Message | None, bot_username: str | None = None) -> str | None:
    """The command `message` starts with, lower-cased, exactly when python-telegram-bot's
    CommandHandler would see one; None for a command addressed to another bot (with
    `bot_username`; without it the addressee is not checked)."""
    if message is None or not message.text or not message.entities:
        return None
    first = message.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    name, _, addressee = message.text[1 : first.length].partition("@")
    if addressee and bot_username is not None and addressee.lower() != bot_username.lower():
        return None
    return name.lower()
