"""OPML, the format feed readers exchange subscription lists in."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from bot.sources.errors import OpmlError
from storage.errors import N_
from storage.feeds import Feed


@dataclass(frozen=True)
class Outline:
    url: str
    name: str  # what the reader called the feed; "" when nothing
    folders: tuple[str, ...]  # the folders it sits in, outermost first


def feed_outlines(document: bytes) -> list[Outline]:
    """Every feed (`xmlUrl`) in an OPML document, nested outlines included, each once, with
    its name and the folders (outlines without an address) around it."""
    try:
        root = fromstring(document)
    except ParseError as exc:
        raise OpmlError(N_("it is not a valid OPML file"), detail=str(exc)) from None
    except DefusedXmlException as exc:  # entities or a DTD: refused, never expanded
        raise OpmlError(N_("it is not a valid OPML file"), detail=repr(exc)) from None
    if root.tag != "opml":
        raise OpmlError(N_("it is not an OPML file"), detail="no <opml> root element")
    found: dict[str, Outline] = {}  # in order, the first of each address
    body = root.find("body")
    start: tuple[str, ...] = ()
    pending = [(child, start) for child in reversed(body if body is not None else root)]
    while pending:  # depth first, without recursion: a deep document cannot overflow it
        element, folders = pending.pop()
        if element.tag != "outline":
            continue
        name = (element.get("title") or element.get("text") or "").strip()
        url = element.get("xmlUrl")
        if url:
            found.setdefault(url, Outline(url, name, folders))
        inside = (*folders, name) if not url and name else folders
        pending.extend((child, inside) for child in reversed(element))
    return list(found.values())


def feed_urls(document: bytes) -> list[str]:
    return [outline.url for outline in feed_outlines(document)]


def document(feeds: list[Feed], title: str = "articlebot feeds") -> bytes:
    """The feeds as OPML 2.0, each under a folder named by its first tag (as they came)."""
    root = Element("opml", version="2.0")
    SubElement(SubElement(root, "head"), "title").text = title
    entries = SubElement(root, "body")
    folders: dict[str, Element] = {}
    for feed in feeds:
        parent = entries
        if feed.tags:
            folder = feed.tags[0]
            if folder not in folders:
                folders[folder] = SubElement(entries, "outline", text=folder, title=folder)
            parent = folders[folder]
        SubElement(
            parent, "outline", type="rss", text=feed.label, title=feed.label, xmlUrl=feed.url
        )
    body_bytes: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return body_bytes
