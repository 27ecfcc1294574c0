"""Helpers shared by the provider library tests."""

from __future__ import annotations

from collections.abc import Mapping
import contextlib
from pathlib import Path
import types

FIXTURES = Path(__file__).parent.parent / "fixtures"
START = 1_800_000_000.0


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = START) -> None:
        """Start at ``now``."""
        self.now = now

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the time forward."""
        self.now += seconds


def fixture_bytes(provider: str, name: str) -> bytes:
    """Return a documented sample body from ``tests/fixtures/<provider>/``."""
    return (FIXTURES / provider / name).read_bytes()


def reachable_texts(root: object, limit: int = 2000) -> list[str]:  # noqa: C901
    """Every text reachable from an exception, as a debugger would see it.

    Follows ``__cause__``, ``__context__``, ``args`` and the attributes
    (``__dict__`` and slots) of whatever is reached, into mappings and
    sequences: a request's headers kept on an exception are found here.
    Tracebacks and frames are not followed (they hold the code's locals).
    """
    texts: list[str] = []
    seen: set[int] = set()
    todo: list[object] = [root]
    while todo and len(seen) < limit:
        item = todo.pop()
        if id(item) in seen or item is None or isinstance(item, type):
            continue
        seen.add(id(item))
        if isinstance(item, str | bytes):
            texts.append(item if isinstance(item, str) else item.decode("latin-1"))
            continue
        if isinstance(item, BaseException):
            texts.extend([str(item), repr(item)])
            todo.extend([item.__cause__, item.__context__, *item.args])
        if isinstance(item, Mapping):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            todo.extend(item)
        if isinstance(item, types.TracebackType | types.FrameType | types.ModuleType):
            continue
        if callable(item) and not isinstance(item, BaseException):
            continue
        attributes = getattr(item, "__dict__", None)
        if isinstance(attributes, dict):
            todo.extend(attributes.values())
        todo.extend(
            getattr(item, slot, None)
            for cls in type(item).__mro__
            for slot in getattr(cls, "__slots__", ())
        )
        if not isinstance(item, int | float | bool):
            with contextlib.suppress(Exception):
                texts.append(repr(item))
    return texts
