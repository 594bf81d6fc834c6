"""The base of every error a user can cause (a bad params key, an unreadable file, a missing
weights file): the CLI turns it into one line on stderr and exit status 2, without having to
import the module that raised it."""

from __future__ import annotations

__all__ = ["GifworthyError"]


class GifworthyError(Exception):
    """An error with a message meant for the user."""
