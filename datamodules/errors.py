"""The project's one exception type for bad user input.

Anything a user can get wrong (a missing file, a malformed corpus, a word-vector file of the wrong size) raises
``UserInputError`` with one line that names the file or value and says how to fix it. The command-line entry points
catch it and print that line instead of a traceback.
"""
from __future__ import annotations


class UserInputError(Exception):
    """Bad input from the user: the message is one line naming the file/value and the fix."""
