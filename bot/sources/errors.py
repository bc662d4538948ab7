"""Failures a person can act on, from the parts that fetch and parse; `str()` is one line.

They live apart from those parts (and their aiohttp, feedparser and defusedxml) so that the
command line can catch them without importing them. Like storage's, each is a translatable
sentence with the machine's detail apart (`Explained`).
"""

from storage.errors import Explained


class FetchError(Explained):
    """Why a page or feed could not be fetched."""


class FeedError(Explained):
    """The content is not a usable feed; the message says why."""


class OpmlError(Explained):
    """The file is not a usable OPML document."""
