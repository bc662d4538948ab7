"""OPML, the format feed readers exchange subscription lists in."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from bot.sources.errors import OpmlError
from storage.errors import N_
from storage.feeds import Feed


def feed_urls(document: bytes) -> list[str]:
    """Every feed address (`xmlUrl`) in an OPML document, nested outlines included."""
    try:
        root = fromstring(document)
    except ParseError as exc:
        raise OpmlError(N_("it is not a valid OPML file"), detail=str(exc)) from None
    except DefusedXmlException as exc:  # entities or a DTD: refused, never expanded
        raise OpmlError(N_("it is not a valid OPML file"), detail=repr(exc)) from None
    if root.tag != "opml":
        raise OpmlError(N_("it is not an OPML file"), detail="no <opml> root element")
    urls = (outline.get("xmlUrl") for outline in root.iter("outline"))
    return list(dict.fromkeys(url for url in urls if url))  # in order, each once


def document(feeds: list[Feed], title: str = "articlebot feeds") -> bytes:
    root = Element("opml", version="2.0")
    SubElement(SubElement(root, "head"), "title").text = title
    entries = SubElement(root, "body")
    for feed in feeds:
        SubElement(
            entries,
            "outline",
            type="rss",
            text=feed.title or feed.url,
            title=feed.title or feed.url,
            xmlUrl=feed.url,
        )
    body_bytes: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return body_bytes
