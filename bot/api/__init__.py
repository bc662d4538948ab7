"""The Bot API connection: the HTTP transport, getUpdates, and what its answers mean."""
