"""The provider registry and what the integration imports from the package."""

from __future__ import annotations

import ast
from pathlib import Path

import aiohttp
import pytest

from custom_components.sms_credit import providers
from custom_components.sms_credit.providers import (
    PROVIDERS,
    AgileClient,
    FieldKind,
    RateLimit,
    RateLimiter,
    SmscClient,
)

PACKAGE = Path(providers.__file__).parent


def test_registry_entries() -> None:
    """Both providers, with their hosts, fields and limits."""
    assert list(PROVIDERS) == ["smsc", "agile"]
    smsc, agile = PROVIDERS["smsc"], PROVIDERS["agile"]
    assert smsc.name == "SMS Center (SMSC)"
    assert agile.name == "Agile Telecom"
    assert smsc.hosts == (
        "https://smsc.ru",
        "https://smscentre.com",
        "https://smsc.kz",
        "https://smsc.ua",
        "https://smsc.tj",
    )
    assert smsc.default_host == "https://smsc.ru"
    assert smsc.title_name == "SMSC"
    assert agile.title_name == "Agile Telecom"
    assert agile.hosts == (
        "https://secure.agiletelecom.com",
        "https://http-api.agiletelecom.com",
    )
    assert smsc.rate_limit == RateLimit(
        max_requests=10, period=60, max_concurrent=14, longest_pause=1800
    )
    assert agile.rate_limit == RateLimit(max_requests=10, period=60, max_concurrent=2)
    for spec in PROVIDERS.values():
        assert spec.key in PROVIDERS
        assert spec.panel_url.startswith(("https://", "{site}/"))
        assert [method.key for method in spec.auth_methods] == ["password", "api_key"]
        password, api_key = spec.auth_method("password"), spec.auth_method("api_key")
        assert [(f.key, f.kind) for f in password.fields] == [
            ("username", FieldKind.TEXT),
            ("password", FieldKind.PASSWORD),
        ]
        assert [(f.key, f.secret) for f in api_key.fields] == [
            ("username", False),
            ("api_key", True),
        ]
        assert password.account_field == api_key.account_field == "username"
        with pytest.raises(KeyError):
            spec.auth_method("oauth")


@pytest.mark.parametrize(("key", "cls"), [("smsc", SmscClient), ("agile", AgileClient)])
def test_create_client(
    session: aiohttp.ClientSession, key: str, cls: type[object]
) -> None:
    """The spec builds its client with the common arguments."""
    limiter = RateLimiter(PROVIDERS[key].rate_limit)
    client = PROVIDERS[key].create_client(
        session,
        host=PROVIDERS[key].default_host + "/",
        auth_method="api_key",
        credentials={"username": "u", "api_key": "k"},
        timeout=5,
        limiter=limiter,
    )
    assert isinstance(client, cls)
    assert client.host == PROVIDERS[key].default_host
    assert client.timeout == 5
    assert client.limiter is limiter


@pytest.mark.parametrize(
    ("host", "account", "site", "login"),
    [
        ("https://smsc.ru", "demo", "smsc|smsc.ru", "smsc|smsc.ru|demo"),
        (" HTTPS://WWW.SMSC.RU/ ", " DeMo ", "smsc|smsc.ru", "smsc|smsc.ru|demo"),
        ("https://www3.smsc.kz", "a|b", "smsc|smsc.kz", "smsc|smsc.kz|a|b"),
        ("https://Reseller.example/Api/", "x", "smsc|reseller.example", None),
        ("http://127.0.0.1:8099", "x", "smsc|127.0.0.1", None),
    ],
)
def test_site_and_login_keys(
    host: str, account: str, site: str, login: str | None
) -> None:
    """A site is its host name without www (or a backup prefix); logins casefold."""
    spec = PROVIDERS["smsc"]
    assert spec.site(host) == site
    assert spec.login_key(host, account) == (login or f"{site}|{account}")


def test_public_api() -> None:
    """Everything in ``__all__`` exists."""
    for name in providers.__all__:
        assert hasattr(providers, name), name


def test_no_homeassistant_import() -> None:
    """The package is a library of its own: it never imports Home Assistant."""
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "homeassistant" for n in names), path
    assert (PACKAGE / "py.typed").is_file()


@pytest.mark.parametrize(
    ("provider", "host", "panel", "help_page"),
    [
        pytest.param(
            "smsc",
            "https://smsc.ru",
            "https://smsc.ru/login/",
            "https://smsc.ru/api/http/balance/balance_answer/",
            id="smsc.ru",
        ),
        pytest.param(
            "smsc",
            "https://www2.smsc.kz/",
            "https://smsc.kz/login/",
            "https://smsc.kz/api/http/balance/balance_answer/",
            id="a backup server is its national site",
        ),
        pytest.param(
            "smsc",
            "https://SMSCENTRE.com",
            "https://smscentre.com/login/",
            "https://smscentre.com/api/http/balance/balance_answer/",
            id="smscentre.com",
        ),
        pytest.param(
            "smsc",
            "https://sms.example.com:8443/api",
            "https://sms.example.com:8443/",
            "https://sms.example.com:8443/",
            id="a reseller: its own server, whose pages are unknown",
        ),
        pytest.param(
            "smsc",
            "https://user:secret@sms.example.com/",
            "https://sms.example.com/",
            "https://sms.example.com/",
            id="a login in a stored address never reaches a link",
        ),
        pytest.param(
            "smsc",
            "http://[::1]:8099",
            "http://[::1]:8099/",
            "http://[::1]:8099/",
            id="an IPv6 address",
        ),
        pytest.param(
            "agile",
            "https://http-api.agiletelecom.com",
            "https://secure.agiletelecom.com/",
            "https://secure.agiletelecom.com/",
            id="agile: one control panel for both hosts",
        ),
    ],
)
def test_links_fit_the_account_site(
    provider: str, host: str, panel: str, help_page: str
) -> None:
    """The device link, the texts and "Learn more" go to the account's own site."""
    spec = PROVIDERS[provider]
    assert spec.control_panel(host) == panel
    assert spec.help_page(host) == help_page
