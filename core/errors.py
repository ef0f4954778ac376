"""The project's one exception type for bad user input.

Anything a user can get wrong (a missing file, a malformed corpus, a word-vector file of the wrong size) raises
``UserInputError`` with one line that names the file or value and says how to fix it. The command-line entry points
catch it and print that line instead of a traceback.
"""
from __future__ import annotations

import errno
import os
import sys
from typing import Callable, Optional


class UserInputError(Exception):
    """Bad input from the user: the message is one line naming the file/value and the fix."""


# errors that mean "this place cannot be written": no permission, read-only file system, disk or quota full
_WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


def write_failure(exc: OSError, target: Optional[str | os.PathLike] = None) -> Optional[UserInputError]:
    """The one-line ``UserInputError`` for a failed write (``target`` or the exception's file), or None when
    ``exc`` is some other ``OSError``."""
    if exc.errno not in _WRITE_ERRNOS:
        return None
    where = target or exc.filename or "an output file"
    return UserInputError(f"could not write {where}: {exc.strerror}; free disk space or make its folder writable "
                          "(or choose another: --data.cache_dir, --trainer.default_root_dir, --checkpoint.dirpath, "
                          "--output)")


def as_user_error(exc: BaseException) -> Optional[UserInputError]:
    """The one-line error to show for ``exc`` (bad input or a failed write), or None when it is a genuine bug."""
    if isinstance(exc, UserInputError):
        return exc
    return write_failure(exc) if isinstance(exc, OSError) else None


def exit_status(action: Callable[[], None]) -> int:
    """Run a command-line ``action``: 0 when it succeeds, 2 with its one-line message on stderr for a
    ``UserInputError`` or a failed write (no traceback)."""
    try:
        action()
    except (UserInputError, OSError) as exc:
        error = as_user_error(exc)
        if error is None:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
