"""Settings read once at start-up (environment variables or a `.env` file)."""

from config.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
