"""Failures a person can act on, from the parts that fetch and parse; `str()` is one line.

They live apart from those parts (and their aiohttp, feedparser and defusedxml) so that the
command line can catch them without importing them.
"""


class FetchError(Exception):
    """Why a page or feed could not be fetched."""


class FeedError(Exception):
    """The content is not a usable feed; the message says why."""


class OpmlError(Exception):
    """The file is not a usable OPML document."""
