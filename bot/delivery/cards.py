"""What a delivery sends: an article's card or a digest's messages, rendered once per
article revision, language, time zone and style rather than once per recipient, and kept
while its broadcast runs."""

from __future__ import annotations

from dataclasses import replace

from bot import render
from bot.delivery.sending import BroadcastBot, Card
from bot.i18n import Catalog, Texts
from storage import Article, NotFound, Storage
from storage.deliveries import Delivery, Digest
from storage.kinds import CardStyle

DIGESTS_CACHED = 256  # rendered digests kept: all the chats due at 08:00 share a few


class CardBook:
    def __init__(
        self, storage: Storage, catalog: Catalog, bot: BroadcastBot, style: CardStyle
    ) -> None:
        self.storage = storage
        self.catalog = catalog
        self.bot = bot
        self.style = style  # CARD_STYLE: for the chats that did not choose (/cards)
        self._articles: dict[int, Article | None] = {}
        self._cards: dict[tuple[int, int, str, str | None, CardStyle], Card] = {}
        self._digests: dict[tuple[Digest, str, str | None], list[Card]] = {}

    async def of(self, delivery: Delivery) -> list[Card]:
        """An article's card, or a digest's messages; [] when its article (a digest's every
        article) was deleted meanwhile."""
        if delivery.digest is None:
            article = await self.article(delivery.article_id, delivery.revision)
            return [] if article is None else [self.card(article, delivery)]
        texts = self.catalog.for_reader(delivery.language_code, delivery.timezone)
        key = (delivery.digest, texts.language, delivery.timezone)
        if key not in self._digests:
            found = [await self._read(article_id) for article_id in delivery.digest.articles]
            articles = [article for article in found if article is not None]
            parts = render.digest(texts, delivery.digest.kind, articles, self.bot.username)
            self._digests[key] = [Card.of(part) for part in parts]
            if len(self._digests) > DIGESTS_CACHED:  # many chats share few digests: keep some
                self._digests.pop(next(iter(self._digests)))
        return self._digests[key]

    def card(self, article: Article, delivery: Delivery) -> Card:
        texts = self.catalog.for_reader(delivery.language_code, delivery.timezone)
        style = delivery.card_style or self.style
        key = (article.id, article.revision, texts.language, delivery.timezone, style)
        if key not in self._cards:
            self._cards[key] = card_of(article, texts, self.bot.username, style)
        return self._cards[key]

    def revision(self, delivery: Delivery) -> int:
        """The revision of the article a delivery's card was rendered from."""
        article = self._articles.get(delivery.article_id)
        return article.revision if article is not None else 0

    async def article(self, article_id: int, revision: int = 0) -> Article | None:
        """Kept while its broadcast runs; read again once a correction has passed it."""
        cached = self._articles.get(article_id)
        if article_id not in self._articles or (cached and cached.revision < revision):
            self._articles[article_id] = await self._read(article_id)
            self._forget_cards(article_id)
        return self._articles[article_id]

    async def refuse_picture(self, delivery: Delivery) -> Card:
        """Telegram would not show the article's picture: the article remembers it, so the
        chats after this one get text straight away; this one's card, as text."""
        article = self._articles[delivery.article_id]
        assert article is not None
        await self.storage.articles.refuse_image(article.id, article.image)
        as_text = replace(article, image_refused=True)
        self._articles[article.id] = as_text
        self._forget_cards(article.id)
        return self.card(as_text, delivery)

    def forget(self, article_id: int) -> None:
        """A broadcast ended: its article and cards are not needed any more."""
        self._articles.pop(article_id, None)
        self._forget_cards(article_id)

    def _forget_cards(self, article_id: int) -> None:
        self._cards = {k: v for k, v in self._cards.items() if k[0] != article_id}

    async def _read(self, article_id: int) -> Article | None:
        try:
            return await self.storage.articles.get(article_id, with_body=False)
        except NotFound:
            return None


def card_of(
    article: Article, texts: Texts, bot_username: str, style: CardStyle, *, as_sent: bool = False
) -> Card:
    """An article's card as `style` asks; a photo card only when it has a picture Telegram
    did not refuse, else the card with its link preview. `as_sent`: to correct a card sent
    as `style`, which a photo card stays even when its article has lost its picture."""
    reply = render.broadcast_card(article, texts, bot_username)
    if style is CardStyle.PHOTO and reply.photo is None:
        return Card.caption_of(reply) if as_sent else Card.of(reply, CardStyle.PREVIEW)
    return Card.of(reply, style)
