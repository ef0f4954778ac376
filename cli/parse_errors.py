"""Short command-line errors: jsonargparse prints the whole usage (80+ lines) before its message; this keeps the
message, and for a misspelled option adds the nearest real one ("did you mean")."""
from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import re
import typing

_UNKNOWN = (re.compile(r"unrecognized arguments: (--[\w.]+)"), re.compile(r'Key "([\w.]+)" is not expected'),
            re.compile(r"Unrecognized arguments: (--[\w.]+)"))
_CLASS = re.compile(r"Problem with given class_path '([\w.]+)'")
_GROUP = re.compile(r'Parser key "(\w+)"')


def _class_options(class_path: str, prefix: str) -> list[str]:
    """``--<prefix>.<arg>`` for each argument of the class's ``__init__`` and ``--<prefix>.<arg>.<field>`` for each
    field of a dataclass-typed argument (such as ``net``)."""
    module, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # noqa: BLE001 - a class we cannot inspect gets no suggestions
        return []
    out = []
    for param in list(inspect.signature(cls.__init__).parameters)[1:]:
        out.append(f"--{prefix}.{param}")
        hint = hints.get(param)
        if dataclasses.is_dataclass(hint):
            out += [f"--{prefix}.{param}.{f.name}" for f in dataclasses.fields(hint)]
    return out


def short_error(message: str, options: list[str]) -> str:
    """The one-paragraph error to print instead of jsonargparse's usage + message. ``options`` are the parser's own
    option strings; a class named in the message adds its arguments."""
    text = message.split("error:", 1)[-1].strip() if "error:" in message else message.strip()
    unknown = next((m.group(1) for rx in _UNKNOWN if (m := rx.search(text))), None)
    if unknown is None:
        return f"error: {text}"
    klass, group = _CLASS.search(text), _GROUP.search(text)
    candidates = list(options)
    if klass and group:
        candidates += _class_options(klass.group(1), group.group(1))
        if not unknown.startswith(f"--{group.group(1)}."):
            unknown = f"--{group.group(1)}.{unknown.lstrip('-')}"
    unknown = unknown if unknown.startswith("--") else f"--{unknown}"
    near = difflib.get_close_matches(unknown, candidates, n=1, cutoff=0.75)
    hint = f": did you mean {near[0]}?" if near else ""
    return f"error: unknown option {unknown}{hint} (`--help` lists every option)"
