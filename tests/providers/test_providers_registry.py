"""The provider registry, what every declaration holds, and the package's API."""

from __future__ import annotations

import ast
from pathlib import Path
import re
import subprocess
import sys

import aiohttp
import pytest

from custom_components.sms_credit import providers
from custom_components.sms_credit.providers import (
    PROVIDERS,
    REGISTRY,
    ProviderClient,
    ProviderError,
    RateLimiter,
    normalize_host,
)
from custom_components.sms_credit.providers._parse import ISO_4217_CODES
from tests.providers.helpers import credentials_for, read, spec_ids

PACKAGE = Path(providers.__file__).parent


@pytest.mark.parametrize("key", spec_ids())
def test_declaration(key: str) -> None:
    """Every declaration is complete and consistent."""
    spec = PROVIDERS[key]
    assert spec.key == key
    assert spec.name
    assert spec.sites
    assert spec.hosts == tuple(site.url for site in spec.sites)
    for site in spec.sites:
        assert normalize_host(site.url) == site.url
        assert site.url.startswith("https://")
        assert site.country == "" or (len(site.country) == 2 and site.country.isupper())
        assert all(backup.startswith("https://") for backup in site.backups)
        assert spec.backups(site.url + "/") == site.backups
    assert spec.panel_url.startswith(("https://", "{site}/"))
    assert spec.currency is None or spec.currency in ISO_4217_CODES
    assert spec.currency is None or spec.unit is None
    limit = spec.rate_limit
    assert min(limit.max_requests, limit.period, limit.max_concurrent) > 0
    methods = [method.key for method in spec.auth_methods]
    assert methods
    assert len(set(methods)) == len(methods)
    for method in spec.auth_methods:
        keys = [field.key for field in method.fields]
        assert len(set(keys)) == len(keys)
        assert len({field.form_key for field in method.fields}) == len(keys)
        (account,) = (f for f in method.fields if f.key == method.account_field)
        assert not account.secret
        for field in method.fields:
            re.compile(field.pattern)  # a valid expression, if any
        assert any(field.secret for field in method.fields)
        assert spec.auth_method(method.key) is method
    with pytest.raises(KeyError):
        spec.auth_method("no such method")


@pytest.mark.parametrize("key", spec_ids())
def test_pure_functions(key: str) -> None:
    """Each method's request goes to the base URL; garbage is a ProviderError."""
    spec = PROVIDERS[key]
    for method in spec.auth_methods:
        request = spec.build_request(spec.hosts[0], method.key, credentials_for(method))
        assert request.url.startswith(spec.hosts[0] + "/")
        assert request.method in {"GET", "POST"}
    for status in (200, 401, 500):
        with pytest.raises(ProviderError):
            read(spec, status, b"\x00 not an answer")


@pytest.mark.parametrize("key", spec_ids())
def test_client(session: aiohttp.ClientSession, key: str) -> None:
    """The one client takes any spec with the common arguments."""
    spec = PROVIDERS[key]
    limiter = RateLimiter(spec.rate_limit)
    method = spec.auth_methods[-1]
    client = ProviderClient(
        session,
        spec,
        host=spec.hosts[0] + "/",
        auth_method=method.key,
        credentials=credentials_for(method),
        timeout=5,
        limiter=limiter,
    )
    assert isinstance(client, ProviderClient)
    assert client.spec is spec
    assert client.host == spec.hosts[0]
    assert client.account == "demo"
    assert client.timeout == 5
    assert client.limiter is limiter


def test_registry_is_lazy() -> None:
    """Importing the package imports no provider module; a lookup imports one."""
    code = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location(
    "lean",
    {str(PACKAGE / "__init__.py")!r},
    submodule_search_locations=[{str(PACKAGE)!r}],
)
package = importlib.util.module_from_spec(spec)
sys.modules["lean"] = package
spec.loader.exec_module(package)
modules = set(package.REGISTRY.values())
assert not modules & set(sys.modules), modules & set(sys.modules)
assert set(package.PROVIDERS) == set(package.REGISTRY)
for key, module in package.REGISTRY.items():
    assert key in package.PROVIDERS and module not in sys.modules
    assert package.PROVIDERS[key].key == key and module in sys.modules
assert package.PROVIDERS.get("no such provider") is None
assert "no such provider" not in package.PROVIDERS
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)  # noqa: S603


def test_registry_takes_a_module_of_the_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider is added by naming its module (here one of the tests)."""
    monkeypatch.setitem(REGISTRY, "example", "tests.providers.test_providers_http")
    assert PROVIDERS["example"].name == "Example SMS"
    assert "example" in list(PROVIDERS)
    assert "example" in PROVIDERS
    with pytest.raises(KeyError):
        PROVIDERS["no such provider"]


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


PUBLIC = """
    PROVIDERS REGISTRY ProviderSpec Site AuthMethod CredentialField RateLimit
    SiteRule Request Response Balance ProviderClient RateLimiter SiteLimiter
    WaitReason ProviderError AuthenticationError IpNotAllowedError IpBlockedError
    RateLimitedError ThrottledError ProviderConnectionError ProviderTimeoutError
    ProviderServerError MalformedResponseError normalize_host minor_unit
    parse_retry_after
"""


@pytest.mark.parametrize("name", PUBLIC.split())
def test_public_api(name: str) -> None:
    """What the integration imports from the package exists there."""
    assert hasattr(providers, name)


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
