"""Thin handlers: parse the update, call storage, render the reply."""
