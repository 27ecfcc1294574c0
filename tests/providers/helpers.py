"""Helpers shared by the provider library tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
import types

from aiohttp import web

from custom_components.sms_credit.providers import (
    PROVIDERS,
    REGISTRY,
    AuthMethod,
    Balance,
    ProviderSpec,
    Response,
)

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


def spec_ids() -> list[str]:
    """The key of every registered provider, to parametrise over."""
    return list(REGISTRY)


def method_ids() -> list[tuple[str, str]]:
    """Every registered provider with each of its login methods."""
    return [
        (key, method.key) for key in REGISTRY for method in PROVIDERS[key].auth_methods
    ]


def credentials_for(
    method: AuthMethod,
    secret: str = "demo-secret",  # noqa: S107 - a fake one
) -> dict[str, str]:
    """Credentials a method accepts, as stored: from its declared fields."""
    return {
        field.key: field.transform(secret)
        if field.transform
        else (f"{secret}-{field.key}" if field.secret else "demo")
        for field in method.fields
    }


def read(
    spec: ProviderSpec,
    status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
) -> Balance:
    """Read an answer as the client does (with the declared fixed currency)."""
    balance = spec.read_answer(Response(status, headers or {}, body))
    if spec.currency:
        return Balance(balance.amount, spec.currency, balance.credit_limit)
    return balance


COMMON = frozenset(
    (
        "host",
        "accept",
        "accept-encoding",
        "user-agent",
        "content-length",
        "content-type",
    )
)

type Reply = tuple[int, bytes | str, Mapping[str, str]]


@dataclass
class AnyPathServer:
    """Answers every request with the next queued reply (default: 404).

    A reply may be a function of the text the request carried (its URL,
    header values and body), so that an answer can echo it back.
    """

    url: str = ""
    replies: list[Reply | Callable[[str], Reply]] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    running: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        """Serve at once."""
        self.running.set()

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one request."""
        # What may hold a secret first: a reader quotes 120 characters at most.
        custom = [v for k, v in request.headers.items() if k.lower() not in COMMON]
        carried = " ".join([await request.text(), *custom, str(request.url)])
        self.seen.append(carried)
        await self.running.wait()
        reply = self.replies.pop(0) if self.replies else (404, b"", {})
        status, body, headers = reply(carried) if callable(reply) else reply
        raw = body.encode() if isinstance(body, str) else body
        return web.Response(status=status, body=raw, headers=headers)


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
