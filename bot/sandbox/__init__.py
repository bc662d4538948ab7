"""A Bot API stand-in on loopback, for the end-to-end tests and the offline sandbox."""

from bot.sandbox.standin import BotApiStandIn, Call, Fault

__all__ = ["BotApiStandIn", "Call", "Fault"]
