"""The admins' dialogues (/add, /edit), and what both share: /cancel and ✖ Cancel, and
another command in the middle (the draft is put aside).

Like python-telegram-bot's `ConversationHandler`, `Dialogue` sends each update to the step
that the dialogue's state expects; but the state and what the dialogue holds (`Session`)
live in the store (storage.sessions), not in the process: the next step may land on any
replica, or on the bot after a restart.

Steps keep `ConversationHandler`'s conventions, so the table of states (bot.app) reads as
one: a step returns the next state, `END`, or None to stay, and raises
`ApplicationHandlerStop(state)` to keep its update from the handlers after it. Entry
points are matched first (a new /add replaces an open one), then the state's steps, then
the fallbacks, then what acts on the session outside any dialogue (a link offered, a
Publish tapped again).

An admin's updates are handled one at a time, whichever replica gets them: each holds the
session while its step runs. A dialogue left idle for `timeout` seconds ends, saying so:
the leader's scheduler finds it (`end_idle`), or its next update does, whichever is first.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Sequence
from typing import cast

from pydantic import BaseModel, Field
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, ConversationHandler

from bot.api import replies
from bot.callbacks import ArticleField
from bot.context import BotApplication, BotContext
from bot.handlers.common import drop_buttons
from bot.i18n import Texts
from bot.sources.extract import Draft
from storage import clock
from storage.sessions import Held

log = logging.getLogger(__name__)
END = ConversationHandler.END
WAIT_FOR_HOLD = 20.0  # seconds an update waits for the admin's previous one to finish
# Updates of one admin waiting at once in this process: each takes one of the handlers'
# concurrent slots (`concurrent_updates`), which readers need too.
MAX_WAITING = 2

Steps = Sequence[BaseHandler[Update, BotContext, object]]


class Session(BaseModel):
    """What an admin's dialogue holds between updates, and what outlives it."""

    draft: Draft | None = None
    field: ArticleField | None = None  # the field a question asked for
    editing: int | None = None  # the article /edit changes
    shown: list[int] = Field(default_factory=list)  # the dialogue's messages with buttons
    # Kept when a dialogue ends or another starts:
    aside: Draft | None = None  # put aside by another command, for /add to bring back
    offers: dict[int, str] = Field(default_factory=dict)  # offer's message id -> link
    published: int | None = None  # what the last Publish made, for a second tap
    language: str | None = None  # the admin's, for a notice sent without an update

    def start_over(self) -> None:
        """A dialogue starts afresh; a draft put aside and links offered stay."""
        self.draft = self.field = self.editing = self.published = None
        self.shown = []


class Dialogue:
    def __init__(
        self,
        *,
        admin_ids: frozenset[int],
        entry_points: Steps,
        states: dict[int, Steps],
        fallbacks: Steps,
        outside: Steps,
        timeout: float,
    ) -> None:
        self.admin_ids = admin_ids
        self.entry_points = entry_points
        self.states = states
        self.fallbacks = fallbacks
        self.outside = outside
        self.timeout = timeout
        # Every step of every state: what an update must match for the session to be read.
        self._steps = [*entry_points, *fallbacks, *outside]
        self._steps += [step for steps in states.values() for step in steps]
        self._waiting: collections.Counter[int] = collections.Counter()

    async def route(self, update: Update, context: BotContext) -> None:
        """The `TypeHandler` callback: the step this update is for, if any, with the
        admin's session held."""
        user = update.effective_user
        if user is None or user.id not in self.admin_ids or not self._may_match(update):
            return
        held = await self._hold(user.id, context)
        if held is None:
            t = context.texts(update)
            await replies.refuse(update, t.gettext("One moment: I am still on your last step."))
            raise ApplicationHandlerStop()
        application = cast(BotApplication, context.application)
        session = Session.model_validate_json(held.data)
        state, stop, kept = held.state, False, False
        try:
            if held.expired:  # its end came before the scheduler looked
                await tell(application, user.id, ended(application, session))
                state = None
            chosen = self._match(update, state)
            if chosen is not None:
                step, check = chosen
                session.language = context.language(update)
                context.session = session
                try:
                    new_state = await step.handle_update(update, application, check, context)
                except ApplicationHandlerStop as stopped:
                    new_state, stop = stopped.state, True
                if isinstance(new_state, int):  # None: the dialogue stays where it is
                    state = None if new_state == END else new_state
            if chosen is not None or held.expired:
                kept = await self._keep(context, held, state, session)
        finally:
            if not kept:  # no step, or one that failed: the session goes back as it was
                await context.storage.sessions.release(held)
        if stop:
            raise ApplicationHandlerStop()

    def _may_match(self, update: Update) -> bool:
        """Whether any step, in any state, could take this update (else the session is
        not even read)."""
        return any(checked(step, update) is not None for step in self._steps)

    def _match(
        self, update: Update, state: int | None
    ) -> tuple[BaseHandler[Update, BotContext, object], object] | None:
        """The step for this update in `state`, and what its check found."""
        in_dialogue = self.states.get(state, ()) if state is not None else ()
        fallbacks = self.fallbacks if state is not None else ()
        for step in (*self.entry_points, *in_dialogue, *fallbacks, *self.outside):
            if (check := checked(step, update)) is not None:
                return step, check
        return None

    async def _hold(self, user_id: int, context: BotContext) -> Held | None:
        """The admin's session, once the step running for them (on any replica) is done;
        None after WAIT_FOR_HOLD, or at once when MAX_WAITING of theirs wait already."""
        held = await context.storage.sessions.take(user_id)
        if held is not None or self._waiting[user_id] >= MAX_WAITING:
            return held
        self._waiting[user_id] += 1
        try:
            deadline = time.monotonic() + WAIT_FOR_HOLD
            pause = 0.02
            while (held := await context.storage.sessions.take(user_id)) is None:
                if time.monotonic() > deadline:
                    log.warning("user_id=%s: gave up waiting for the step before", user_id)
                    return None
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.5)
            return held
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:
                del self._waiting[user_id]

    async def _keep(
        self, context: BotContext, held: Held, state: int | None, session: Session
    ) -> bool:
        expires_at = clock.time() + self.timeout if state is not None else None
        data = session.model_dump_json()
        kept = await context.storage.sessions.keep(
            held, state=state, data=data, expires_at=expires_at
        )
        if not kept:
            log.warning("user_id=%s: a step outlasted its hold, and was lost", held.user_id)
        return kept


async def end_idle(application: BotApplication, user_ids: list[int]) -> None:
    """End the dialogues left idle until their end (the scheduler found them)."""
    storage = application.bot_data.storage
    assert storage is not None
    for user_id in user_ids:
        held = await storage.sessions.take(user_id)
        if held is None:  # a step is running: it starts the wait afresh
            continue
        if not held.expired:  # a step came in between
            await storage.sessions.release(held)
            continue
        session = Session.model_validate_json(held.data)
        notice = ended(application, session)
        # Ended first: a notice Telegram fails to take must not bring the dialogue back.
        await storage.sessions.keep(
            held, state=None, data=session.model_dump_json(), expires_at=None
        )
        await tell(application, user_id, notice)


def ended(application: BotApplication, session: Session) -> str:
    """End an idle dialogue: the session starts over; the notice that says so."""
    assert application.bot_data.catalog is not None
    t = application.bot_data.catalog.for_reader(session.language, None)
    notice = timed_out(t, editing=session.editing is not None)
    session.start_over()
    return notice


async def tell(application: BotApplication, user_id: int, text: str) -> None:
    """A notice in the admin's private chat (its id is the admin's)."""
    try:
        await application.bot.send_message(user_id, text)
    except TelegramError as exc:  # what it says has happened all the same
        log.info("could not tell user_id=%s: %s", user_id, exc)


def timed_out(t: Texts, *, editing: bool) -> str:
    if editing:
        return t.gettext("That took a while, so I stopped editing. Send /edit to start again.")
    return t.gettext("That took a while, so I dropped the draft. Send /add to start again.")


def checked(step: BaseHandler[Update, BotContext, object], update: Update) -> object | None:
    """What the step's check found in the update; None if the step does not take it."""
    check = step.check_update(update)
    return None if check is False else check


# -- what both dialogues share -----------------------------------------------------------


async def cancel(update: Update, context: BotContext) -> int:
    context.session.start_over()
    if update.effective_message is not None:
        t = context.texts(update)
        await update.effective_message.reply_text(t.gettext("Cancelled; nothing changed."))
    return ConversationHandler.END


async def cancel_button(update: Update, context: BotContext) -> int:
    """✖ Cancel under a question: the dialogue ends, nothing stored changes."""
    query = update.callback_query
    assert query is not None
    await replies.answer(query)
    await drop_buttons(query)
    return await cancel(update, context)


async def interrupted(update: Update, context: BotContext) -> int:
    """Another command in the middle of /add or /edit ends the dialogue, saying so: a
    draft is put aside for /add to bring back. The command itself is then answered by its
    own handler."""
    draft, editing = context.session.draft, context.session.editing
    context.session.start_over()
    message = update.effective_message
    t = context.texts(update)
    if draft is not None and message is not None:
        context.session.aside = draft
        await message.reply_text(t.gettext("📝 Draft put aside — /add brings it back."))
    elif editing is not None and message is not None:
        await message.reply_text(
            t.gettext("Stopped editing article {id}; nothing changed.", id=editing)
        )
    return ConversationHandler.END


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """/cancel, or the ✖ Cancel of a question, when no dialogue is open."""
    t = context.texts(update)
    if update.callback_query is not None:
        await replies.answer(update.callback_query, t.gettext("There is nothing to cancel."))
        await drop_buttons(update.callback_query)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(t.gettext("There is nothing to cancel."))
