"""A Bot API stand-in on loopback, for the end-to-end tests and the offline sandbox."""

from bot.sandbox.faults import Fault
from bot.sandbox.messages import Call
from bot.sandbox.standin import BotApiStandIn

__all__ = ["BotApiStandIn", "Call", "Fault"]
