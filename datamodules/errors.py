"""The project's one exception type for bad user input.

Anything a user can get wrong (a missing file, a malformed corpus, a word-vector file of the wrong size) raises
``UserInputError`` with one line that names the file or value and says how to fix it. The command-line entry points
catch it and print that line instead of a traceback.
"""
from __future__ import annotations

import sys
from typing import Callable


class UserInputError(Exception):
    """Bad input from the user: the message is one line naming the file/value and the fix."""


def exit_status(action: Callable[[], None]) -> int:
    """Run a command-line ``action``: 0 when it succeeds, 2 with its one-line message on stderr for a
    ``UserInputError`` (no traceback)."""
    try:
        action()
    except UserInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
