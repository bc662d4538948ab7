"""`articlebot edit`: correct an article, and with it every card already sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.base import cli, print_json, with_storage
from storage.text import parse_tags

if TYPE_CHECKING:
    from storage import Storage


@cli.command()
@click.argument("article_id", type=int)
@click.option("--title", help="The new title.")
@click.option("--summary", help="The new summary.")
@click.option("--tags", help="The new tags, comma-separated ('' for none).")
@click.option("--image", help="The new picture's address ('' for none).")
@click.option(
    "--no-correct", is_flag=True, help="Change the archive only; cards already sent stay."
)
@click.option("--json", "as_json", is_flag=True, help="Print the article and correction as JSON.")
@with_storage
async def edit(
    storage: Storage,
    article_id: int,
    title: str | None,
    summary: str | None,
    tags: str | None,
    image: str | None,
    no_correct: bool,
    as_json: bool,
) -> None:
    """Change what an article's cards show. The running bot then edits each card sent in
    the last 48 hours in place, in each chat's language, at the broadcast pace; older
    cards stay as they were."""
    if title is None and summary is None and tags is None and image is None:
        raise click.UsageError("say what to change: --title, --summary, --tags or --image")
    result = await storage.articles.update(
        article_id,
        title=title,
        summary=summary,
        tags=None if tags is None else parse_tags(tags),
        image=image,
        correct=not no_correct,
    )
    correction = result.correction
    if as_json:
        print_json(
            {
                "article": result.article.to_dict(),
                "changed": result.changed,
                "correcting": None if correction is None else correction.total,
            }
        )
        return
    if not result.changed:
        click.echo(f"article {article_id}: nothing changed")
    elif correction is None:
        click.echo(f"article {article_id} updated; its cards already sent stay as they were")
    else:
        click.echo(
            f"article {article_id} updated; correcting its {correction.total} cards sent "
            "(the running bot edits those of the last 48 hours; older ones stay as they were)"
        )
