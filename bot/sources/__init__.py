"""Where articles come from: feeds, page fetching and extraction, OPML."""
