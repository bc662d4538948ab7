"""CMS hooks: what Ghost, or any CMS that signs its JSON, pushes — read, verified, applied."""
