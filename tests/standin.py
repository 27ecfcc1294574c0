"""A stand-in for the SMSC and Agile Telecom balance APIs.

It answers like the providers do (as far as their documents say), on
loopback, so tests and development never reach the real services.

Three ways to use it:

* From tests::

      standin = StandinProvider(clock=fake_clock)
      await standin.start()            # 127.0.0.1, a free port
      ...standin.url...                # e.g. http://127.0.0.1:41234
      await standin.close()

* On its own, for manual development (both providers on one port)::

      python -m tests.standin --port 8099

  SMSC is then at ``http://127.0.0.1:8099/sys/balance.php`` and Agile
  Telecom at ``http://127.0.0.1:8099/services/sms/credit``. Both know the
  login ``demo`` with the password ``demo-password`` and the API keys
  ``demo-smsc-key`` / ``demo-agile-key``.

* From an end-to-end test, switched between modes over HTTP (below).

Behaviour:

* SMSC (``/sys/balance.php``): GET or POST; ``login`` + ``psw`` (the
  password or its MD5) or ``apikey``; ``fmt`` 0-3 (default 1) with the
  documented bodies; ``cur=1`` adds the currency (and the credit when it is
  not zero). Error 1 for missing credentials; error 2 for wrong credentials
  or a source IP outside :attr:`StandinProvider.allowed_ips`; the fifth
  authorisation failure of an IP within 30 minutes blocks it for 30 minutes
  (error 4), and every request from that IP during the block prolongs it by
  another 30 minutes (:attr:`StandinProvider.during_block` counts them, per
  IP; a well-behaved client keeps it at zero); more than 10 balance
  requests of one login within 60 s give error 9
  (:attr:`StandinProvider.smsc_max_per_minute`). The "15 simultaneous
  requests" rule is not emulated.
* Agile Telecom (``/services/sms/credit``): GET with Basic or
  ``X-Api-Key``; 401 without credentials (empty body) or with wrong ones
  (JSend code 1, or 11 for an unknown user); 403 with JSend code 100 for an
  IP outside :attr:`StandinProvider.allowed_ips`; 429 with ``Retry-After``
  above :attr:`StandinProvider.agile_max_per_minute` requests a minute.

Control API (JSON, same port):

* ``GET /_standin/state``: the current state.
* ``POST /_standin/state``: merge a state, e.g.
  ``{"reset": true, "allowed_ips": ["10.0.0.1"], "delay": 2,
  "smsc_max_per_minute": 10, "agile_max_per_minute": 5,
  "blocked": {"127.0.0.1": 1800},
  "smsc": {"demo": {"balance": "12.50", "credit": "100", "currency": "KZT"}},
  "agile": {"demo": {"password": "new", "api_key": "k2"}}}``.
  ``reset`` (applied first) forgets request windows, failures, blocks and
  queued answers; ``allowed_ips: null`` allows every IP; ``blocked`` blocks
  each IP at SMSC for so many seconds (0 lifts the block), as five failed
  logins would; an unknown login in ``smsc``/``agile`` creates that
  account.
* ``POST /_standin/respond_next``: queue forced answers for the next
  provider requests: ``{"status": 503, "body": "...", "headers": {},
  "count": 1}``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
import contextlib
from dataclasses import asdict, dataclass, field
import hashlib
import math
import time
from typing import Any

from aiohttp import web

SMSC_PATH = "/sys/balance.php"
AGILE_PATH = "/services/sms/credit"

SMSC_REQUESTS_PER_MINUTE = 10
SMSC_FAILURES_BEFORE_BLOCK = 5
SMSC_BLOCK_SECONDS = 1800.0

SMSC_ERRORS = {
    1: "parameters error",
    2: "authorise error",
    4: "IP address is temporarily blocked",
    9: "too many balance requests, wait a minute",
}


@dataclass
class Account:
    """One account at a provider."""

    password: str
    api_key: str | None = None
    balance: str = "100.50"
    credit: str = "0"
    currency: str = "RUR"


@dataclass(frozen=True)
class Seen:
    """One request the stand-in received, as it arrived."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    remote: str | None


@dataclass(frozen=True)
class Forced:
    """An answer given instead of the normal one."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _within(window: deque[float], now: float, period: float) -> deque[float]:
    while window and window[0] <= now - period:
        window.popleft()
    return window


class StandinProvider:
    """Both providers' balance endpoints, with state tests can change."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        """Initialise with one ``demo`` account at each provider."""
        self.clock = clock
        self.smsc_accounts: dict[str, Account] = {
            "demo": Account("demo-password", api_key="demo-smsc-key")
        }
        self.agile_accounts: dict[str, Account] = {
            "demo": Account("demo-password", api_key="demo-agile-key", currency="EUR")
        }
        self.allowed_ips: list[str] | None = None
        self.smsc_max_per_minute = SMSC_REQUESTS_PER_MINUTE
        self.agile_max_per_minute: int | None = None
        self.delay = 0.0
        self.seen: list[Seen] = []
        self.requests: Counter[str] = Counter()
        self._forced: deque[Forced] = deque()
        self._smsc_windows: dict[str, deque[float]] = {}
        self._smsc_failures: dict[str, deque[float]] = {}
        self._smsc_blocked_until: dict[str, float] = {}
        # Requests that arrived while their IP was blocked (each prolonged it).
        self.during_block: Counter[str] = Counter()
        self._agile_window: deque[float] = deque()
        self._running = asyncio.Event()
        self._running.set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.app = web.Application()
        self.app.router.add_route("*", SMSC_PATH, self._wrap(self._smsc))
        self.app.router.add_get(AGILE_PATH, self._wrap(self._agile))
        self.app.router.add_get("/_standin/state", self._get_state)
        self.app.router.add_post("/_standin/state", self._post_state)
        self.app.router.add_post("/_standin/respond_next", self._post_respond_next)

    # Lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: a free port); return the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{host}:{bound[1]}"
        return self.url

    async def close(self) -> None:
        """Release held requests and stop serving."""
        self._closing.set()
        self._running.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # Test controls

    def respond_next(
        self,
        status: int,
        body: bytes | str = b"",
        *,
        headers: Mapping[str, str] | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` provider requests with this, whatever they ask."""
        raw = body.encode() if isinstance(body, str) else body
        self._forced.extend([Forced(status, raw, dict(headers or {}))] * count)

    fail_next = respond_next

    def pause(self) -> None:
        """Hold every provider request (after counting it) until :meth:`resume`."""
        self._running.clear()

    def resume(self) -> None:
        """Let held requests go on."""
        self._running.set()

    def reset(self) -> None:
        """Forget request windows, failures, blocks, queued answers and counts."""
        self._forced.clear()
        self._smsc_windows.clear()
        self._smsc_failures.clear()
        self._smsc_blocked_until.clear()
        self.during_block.clear()
        self._agile_window.clear()
        self.seen.clear()
        self.requests.clear()

    # Request handling common to both providers

    def _wrap(
        self, handler: Callable[[web.Request, dict[str, str]], web.Response]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            form = {}
            if request.method == "POST":
                form = {k: str(v) for k, v in (await request.post()).items()}
            self.requests[request.path] += 1
            self.seen.append(
                Seen(
                    request.method,
                    request.path,
                    dict(request.query),
                    form,
                    dict(request.headers),
                    request.remote,
                )
            )
            await self._running.wait()
            if self.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), self.delay)
            if self._forced:
                forced = self._forced.popleft()
                return web.Response(
                    status=forced.status, body=forced.body, headers=forced.headers
                )
            return handler(request, {**request.query, **form})

        return handle

    def block(self, ip: str = "127.0.0.1", seconds: float = SMSC_BLOCK_SECONDS) -> None:
        """Block ``ip`` at SMSC as if it had failed to log in five times."""
        self._smsc_blocked_until[ip] = self.clock() + seconds

    def smsc_blocked_until(self, ip: str = "127.0.0.1") -> float | None:
        """When SMSC's block of ``ip`` ends (stand-in clock), if it is blocked."""
        until = self._smsc_blocked_until.get(ip)
        return until if until is not None and until > self.clock() else None

    def _ip_allowed(self, request: web.Request) -> bool:
        return self.allowed_ips is None or request.remote in self.allowed_ips

    # SMSC

    def _smsc(self, request: web.Request, params: dict[str, str]) -> web.Response:
        fmt = params.get("fmt", "1")
        ip = request.remote or ""
        now = self.clock()
        if self._smsc_blocked_until.get(ip, -math.inf) > now:
            # Knocking on a blocked door keeps it shut for longer.
            self._smsc_blocked_until[ip] = now + SMSC_BLOCK_SECONDS
            self.during_block[ip] += 1
            return self._smsc_error(fmt, 4)
        login, psw, apikey = (params.get(k, "") for k in ("login", "psw", "apikey"))
        if not (login and psw) and not apikey:
            return self._smsc_error(fmt, 1)
        if not self._ip_allowed(request):
            return self._smsc_error(fmt, 2)
        if apikey:
            login = next(
                (n for n, a in self.smsc_accounts.items() if a.api_key == apikey), ""
            )
        account = self.smsc_accounts.get(login)
        if account is None or (
            not apikey and psw not in (account.password, _md5(account.password))
        ):
            failures = _within(
                self._smsc_failures.setdefault(ip, deque()), now, SMSC_BLOCK_SECONDS
            )
            failures.append(now)
            if len(failures) >= SMSC_FAILURES_BEFORE_BLOCK:
                self._smsc_blocked_until[ip] = now + SMSC_BLOCK_SECONDS
                failures.clear()
            return self._smsc_error(fmt, 2)
        window = _within(self._smsc_windows.setdefault(login, deque()), now, 60.0)
        if len(window) >= self.smsc_max_per_minute:
            return self._smsc_error(fmt, 9)
        window.append(now)
        return self._smsc_balance(fmt, account, currency=params.get("cur") == "1")

    @staticmethod
    def _smsc_balance(fmt: str, account: Account, *, currency: bool) -> web.Response:
        values = {"balance": account.balance}
        if currency:
            if account.credit.strip("0.") != "":
                values["credit"] = account.credit
            values["currency"] = account.currency
        if fmt == "3":
            return web.json_response(values)
        if fmt == "2":
            if not currency:
                return web.Response(text=f"<balance>{account.balance}</balance>")
            tags = "".join(f"<{k}>{v}</{k}>\n" for k, v in values.items())
            return web.Response(text=f"<result>\n{tags}</result>")
        if not currency:
            return web.Response(text=account.balance)
        separator = " " if fmt == "0" else ","
        return web.Response(text=f"{account.balance}{separator}{account.currency}")

    @staticmethod
    def _smsc_error(fmt: str, code: int) -> web.Response:
        description = SMSC_ERRORS[code]
        if fmt == "3":
            return web.json_response({"error": description, "error_code": code})
        if fmt == "2":
            return web.Response(
                text=f"<result>\n<error>{description}</error>\n"
                f"<error_code>{code}</error_code>\n</result>"
            )
        if fmt == "0":
            return web.Response(text=f"ERROR = {code} ({description})")
        return web.Response(text=f"0,-{code}")

    # Agile Telecom

    def _agile(self, request: web.Request, _params: dict[str, str]) -> web.Response:
        if not self._ip_allowed(request):
            return _jsend(403, "Source IP is not allowed", 100)
        account = self._agile_account(request)
        if not isinstance(account, Account):
            return account
        if self.agile_max_per_minute is not None:
            now = self.clock()
            window = _within(self._agile_window, now, 60.0)
            if len(window) >= self.agile_max_per_minute:
                wait = math.ceil(window[0] + 60.0 - now) if window else 60
                return web.Response(status=429, headers={"Retry-After": str(wait)})
            window.append(now)
        return web.Response(
            text=f'{{"credit": {account.balance}}}', content_type="application/json"
        )

    def _agile_account(self, request: web.Request) -> Account | web.Response:
        """Return the authenticated account, or the 401 answer."""
        if api_key := request.headers.get("X-Api-Key"):
            found = (a for a in self.agile_accounts.values() if a.api_key == api_key)
            return next(found, None) or _jsend(401, "Wrong credentials", 1)
        if authorization := request.headers.get("Authorization"):
            login, password = _basic_credentials(authorization)
            account = self.agile_accounts.get(login)
            if account is None:
                return _jsend(401, "User not found", 11)
            if password != account.password:
                return _jsend(401, "Wrong credentials", 1)
            return account
        return web.Response(
            status=401, headers={"WWW-Authenticate": 'Basic realm="Agile"'}
        )

    # Control API

    def state(self) -> dict[str, Any]:
        """Return the state the control API shows."""
        return {
            "smsc": {k: asdict(v) for k, v in self.smsc_accounts.items()},
            "agile": {k: asdict(v) for k, v in self.agile_accounts.items()},
            "allowed_ips": self.allowed_ips,
            "smsc_max_per_minute": self.smsc_max_per_minute,
            "agile_max_per_minute": self.agile_max_per_minute,
            "delay": self.delay,
            "blocked": {
                ip: math.ceil(until - self.clock())
                for ip, until in self._smsc_blocked_until.items()
                if until > self.clock()
            },
            "requests": dict(self.requests),
            "queued_answers": len(self._forced),
        }

    def update(self, changes: Mapping[str, Any]) -> None:
        """Merge a state given as the control API takes it."""
        if changes.get("reset"):
            self.reset()
        for key, accounts in (
            ("smsc", self.smsc_accounts),
            ("agile", self.agile_accounts),
        ):
            for login, values in changes.get(key, {}).items():
                merged = asdict(accounts.get(login, Account("")))
                accounts[login] = Account(**(merged | values))
        for ip, seconds in changes.get("blocked", {}).items():
            self.block(str(ip), float(seconds))
        for key in (
            "allowed_ips",
            "smsc_max_per_minute",
            "agile_max_per_minute",
            "delay",
        ):
            if key in changes:
                setattr(self, key, changes[key])

    async def _get_state(self, _request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _post_state(self, request: web.Request) -> web.Response:
        try:
            self.update(await request.json())
        except (ValueError, TypeError, AttributeError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(self.state())

    async def _post_respond_next(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            self.respond_next(
                int(data["status"]),
                str(data.get("body", "")),
                headers=data.get("headers"),
                count=int(data.get("count", 1)),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(self.state())


def _basic_credentials(authorization: str) -> tuple[str, str | None]:
    """Return login and password of a Basic ``Authorization`` value."""
    scheme, _, token = authorization.partition(" ")
    try:
        decoded = base64.b64decode(token, validate=True).decode()
    except ValueError:
        return "", None
    login, _, password = decoded.partition(":")
    return (login, password) if scheme.lower() == "basic" else ("", None)


def _jsend(status: int, message: str, code: int) -> web.Response:
    return web.json_response(
        {"status": "error", "message": message, "code": code}, status=status
    )


def main(argv: list[str] | None = None) -> None:
    """Serve both providers until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args(argv)
    web.run_app(StandinProvider().app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
