"""The /add dialogue: guided (the link, then what the page does not say) or in one message;
a preview exactly as subscribers will see it; ✅ Publish or ⏰ Schedule. A link an admin
pastes outside it is offered for adding. Who is an admin is checked before any of this
runs (bot.handlers.gate), and again by the handlers' filter (bot.app)."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ConversationHandler

from bot import callbacks, render
from bot.api import replies
from bot.callbacks import ArticleField
from bot.context import BotContext
from bot.handlers.common import (
    FIELD,
    LINK,
    NO_IMAGE,
    REVIEW,
    SUMMARY,
    TITLE,
    WHEN,
    ask_field,
    chat_info,
    drop_buttons,
    pressed_on,
    send,
    show,
)
from bot.sources.errors import FetchError
from bot.sources.extract import Draft, read_page
from storage import DuplicateArticle, InvalidInput, NewArticle, clock
from storage.text import image_url, normalize_url, parse_tags
from storage.timing import parse_when

log = logging.getLogger(__name__)
OFFERS_KEPT = 5  # links an admin pasted, by the message that offers to add them


async def add_start(update: Update, context: BotContext) -> int:
    """`/add` alone asks for the link; `/add URL` reads that page; `/add URL | Title |
    Summary | tags` is the whole article in one message."""
    message = update.effective_message
    assert message is not None
    t = context.texts(update)
    # A new /add (or /edit) replaces an open one, and takes up one put aside.
    aside, context.session.aside = context.session.aside, None
    context.session.start_over()
    text = (message.text or "").partition(" ")[2].strip()
    if not text and aside is not None:
        await message.reply_text(t.gettext("Back to the draft you put aside:"))
        return await review(message, context, update, aside)
    if not text:
        await show(
            message, render.prompt(t, t.gettext("Send me the link of the article.")), context
        )
        return LINK
    if "|" not in text and len(text.split()) == 1:
        return await take_link(message, context, update, text)
    parts = [part.strip() for part in text.split("|")]
    if len(parts) != 4 or not parts[0] or not parts[1]:
        await message.reply_text(render.add_usage(t))
        return ConversationHandler.END
    url, title, summary, tags = parts
    try:
        key = normalize_url(url)  # the link is kept as given; this is what is unique
    except InvalidInput as exc:
        await message.reply_text(render.not_accepted(t, exc))
        return ConversationHandler.END
    draft = Draft(url=url, title=title, summary=summary)
    if await show_existing(message, context, update, key):
        return ConversationHandler.END
    try:
        draft.tags = parse_tags(tags)
    except InvalidInput as exc:  # keep the draft; ask for the tags again
        context.session.draft = draft
        await message.reply_text(render.not_accepted(t, exc))
        await ask_field(message, t, ArticleField.TAGS, context)
        return FIELD
    return await review(message, context, update, draft)


async def got_link(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    return await take_link(message, context, update, message.text or "")


async def take_link(message: Message, context: BotContext, update: Update, raw: str) -> int:
    """Read the page behind a link into a draft; ask for what it does not say."""
    t = context.texts(update)
    url = raw.strip()  # kept as the admin gave it (its parameters may matter to the site)
    try:
        key = normalize_url(url)
    except InvalidInput as exc:
        await message.reply_text(render.not_accepted(t, exc))
        return LINK
    if await show_existing(message, context, update, key):
        return ConversationHandler.END
    try:
        draft = await read_page(url, allow_private=context.settings.allow_private_urls)
    except FetchError as exc:
        context.session.draft = Draft(url=url)
        log.info("could not read %s: %s", url, exc)
        await show(message, render.page_unreadable(t, exc), context)
        return TITLE
    return await review(message, context, update, draft)


async def show_existing(message: Message, context: BotContext, update: Update, url: str) -> bool:
    """An article with this (normalised) URL is stored: show it instead of a new draft."""
    existing = await context.storage.articles.find_by_url(url)
    if existing is None:
        return False
    t = context.texts(update)
    await message.reply_text(t.gettext("That article is already here:"))
    await send(message, render.article_card(existing, t, context.bot.username))
    return True


async def got_title(update: Update, context: BotContext) -> int:
    draft = context.session.draft
    message = update.effective_message
    assert message is not None
    if draft is None:
        return ConversationHandler.END
    draft.title = (message.text or "").strip()
    t = context.texts(update)
    await show(message, render.prompt(t, t.gettext("Now send the summary.")), context)
    return SUMMARY


async def got_summary(update: Update, context: BotContext) -> int:
    draft = context.session.draft
    message = update.effective_message
    assert message is not None
    if draft is None:
        return ConversationHandler.END
    draft.summary = (message.text or "").strip()
    return await review(message, context, update, draft)


async def review(message: Message, context: BotContext, update: Update, draft: Draft) -> int:
    """Show the draft exactly as subscribers will see it, with the admin's buttons."""
    t = context.texts(update)
    try:
        article = new_article(draft)
    except InvalidInput as exc:
        context.session.draft = draft
        await message.reply_text(render.not_accepted(t, exc))
        field = ArticleField.TITLE if "title" in str(exc) else ArticleField.SUMMARY
        await ask_field(message, t, field, context)
        return FIELD
    context.session.draft = draft
    await show(message, render.draft_preview(t, article, context.bot.username), context)
    return REVIEW


async def review_button(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    t = context.texts(update)
    message = query.message if isinstance(query.message, Message) else None
    action = callbacks.parse(query.data)
    assert isinstance(action, callbacks.DraftAction)
    if action.step == callbacks.DraftAction.PUBLISH:
        # A second tap waits for this one (bot.handlers.dialogue), then finds no draft.
        draft, context.session.draft = context.session.draft, None
        if draft is None or message is None:
            await already_published(update, context)
            return ConversationHandler.END
        try:
            context.session.published = await publish(message, context, update, draft)
        except BaseException:
            context.session.draft = draft  # kept: the admin can tap Publish again
            raise
        await replies.answer(query)  # once it is done: a failure is answered instead
        await drop_buttons(query)  # after publishing: failing here loses nothing
        return ConversationHandler.END
    await replies.answer(query)
    if message is None:
        return ConversationHandler.END
    if action.field is None:  # ✖ Cancel
        context.session.draft = None
        await drop_buttons(query)
        await message.reply_text(t.gettext("Cancelled; nothing was published."))
        return ConversationHandler.END
    await ask_field(message, t, action.field, context)
    return FIELD


async def got_field(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    draft, field = context.session.draft, context.session.field
    if draft is None or field is None:
        return ConversationHandler.END
    value = (message.text or "").strip()
    try:
        if field is ArticleField.TAGS:
            draft.tags = parse_tags(value)
        elif field is ArticleField.IMAGE:
            draft.image = "" if value == NO_IMAGE else image_url(value)
        else:
            setattr(draft, field.attribute, value)
    except InvalidInput as exc:
        await message.reply_text(render.not_accepted(context.texts(update), exc))
        return FIELD
    return await review(message, context, update, draft)


async def back_to_preview(update: Update, context: BotContext) -> int:
    """✖ Cancel under a question about the draft (a field, when to publish): the draft
    stays as it was, and its preview comes back."""
    query = update.callback_query
    assert query is not None
    await replies.answer(query)
    await drop_buttons(query)
    draft = context.session.draft
    message = pressed_on(query)
    if draft is None or message is None:
        return ConversationHandler.END
    return await review(message, context, update, draft)


async def already_published(update: Update, context: BotContext) -> None:
    """A Publish tapped again, in the dialogue or after it ended: say what came of the
    first one."""
    assert update.callback_query is not None
    t = context.texts(update)
    published = context.session.published
    text = (
        t.gettext("Already published as No. {id}.", id=published)
        if published is not None
        else t.gettext("Already done.")
    )
    await replies.answer(update.callback_query, text)


async def when_button(update: Update, context: BotContext) -> int:
    """⏰ Schedule under a draft: ask when, in the admin's time zone."""
    query = update.callback_query
    assert query is not None
    await replies.answer(query)
    if not isinstance(query.message, Message) or context.session.draft is None:
        return ConversationHandler.END
    await drop_buttons(query)
    zone = await context.storage.chats.timezone(query.message.chat.id)
    t = context.texts(update)
    await show(query.message, render.ask_when(t, zone, clock.now()), context)
    return WHEN


async def got_when(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None
    draft = context.session.draft
    if draft is None:
        return ConversationHandler.END
    t = context.texts(update)
    zone = await context.storage.chats.timezone(message.chat.id)
    try:
        moment = parse_when(message.text or "", zone, clock.now())
        item = await context.storage.scheduled.add(
            new_article(draft), moment, zone, notify_chat_id=message.chat.id
        )
    except InvalidInput as exc:  # ask again: the question, and its ✖ Cancel, are above
        await message.reply_text(render.not_accepted(t, exc))
        return WHEN
    except DuplicateArticle as exc:
        context.session.start_over()
        await message.reply_text(render.already_here(t, exc.existing_id))
        return ConversationHandler.END
    context.session.start_over()
    await context.storage.chats.remember(chat_info(message.chat, update))  # progress language
    if context.bot_data.scheduler is not None:
        context.bot_data.scheduler.wake()
    await message.reply_text(render.scheduled_done(t, item))
    return ConversationHandler.END


async def publish(
    message: Message, context: BotContext, update: Update, draft: Draft
) -> int | None:
    """Store and announce the draft; the new article's id (None: it was already here)."""
    t = context.texts(update)
    await context.storage.chats.remember(chat_info(message.chat, update))  # progress language
    try:
        stored = await context.storage.articles.add(
            new_article(draft), notify_chat_id=message.chat.id
        )
    except DuplicateArticle as exc:
        await message.reply_text(render.already_here(t, exc.existing_id))
        return None
    if context.bot_data.worker is not None:
        context.bot_data.worker.wake()
    await message.reply_text(
        t.gettext("Published as article {id}; the broadcast starts now.", id=stored.id)
    )
    return stored.id


def new_article(draft: Draft) -> NewArticle:
    return NewArticle(
        url=draft.url,
        title=draft.title,
        summary=draft.summary,
        author=draft.author,
        tags=draft.tags,
        published_at=draft.published_at,
        source="manual",
        image=draft.image or "",
        body=draft.body,
        body_html=draft.body_html,
    )


async def offer_link(update: Update, context: BotContext) -> None:
    """An admin pasted a link outside a dialogue: offer to add it (a reader's link is a
    search, as any text)."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    offer = await send(message, render.offer_link(context.texts(update)))
    offers = context.session.offers
    offers[offer.message_id] = message.text.strip()
    for old in list(offers)[:-OFFERS_KEPT]:
        del offers[old]


async def add_offered(update: Update, context: BotContext) -> int:
    """The Add button under a pasted link: /add with that link."""
    query = update.callback_query
    assert query is not None
    message = pressed_on(query)
    url = context.session.offers.pop(message.message_id, None) if message else None
    if message is None or url is None:
        await replies.answer(query, context.texts(update).gettext("Already done."))
        await drop_buttons(query)
        return ConversationHandler.END
    await replies.answer(query)
    await drop_buttons(query)
    context.session.start_over()
    return await take_link(message, context, update, url)
