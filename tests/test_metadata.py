"""Offline checks of what HACS and hassfest would check (they need network)."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from PIL import Image
import pytest
import yaml

from custom_components.sms_credit.helpers import host_option
from custom_components.sms_credit.providers import PROVIDERS

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "sms_credit"
LANGUAGES = ("en", "it", "ru", "de", "pl", "sv")
# The keys HACS accepts in hacs.json (https://hacs.xyz/docs/publish/start).
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}
QUALITY_RULES = {
    # Bronze
    "action-setup", "appropriate-polling", "brands", "common-modules",
    "config-flow-test-coverage", "config-flow", "dependency-transparency",
    "docs-actions", "docs-conditions", "docs-high-level-description",
    "docs-installation-instructions", "docs-removal-instructions", "docs-triggers",
    "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry",
    # Silver
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner",
    "log-when-unavailable", "parallel-updates", "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices", "diagnostics", "discovery-update-info", "discovery",
    "docs-data-update", "docs-examples", "docs-known-limitations",
    "docs-supported-devices", "docs-supported-functions", "docs-troubleshooting",
    "docs-use-cases", "dynamic-devices", "entity-category", "entity-device-class",
    "entity-disabled-by-default", "entity-translations", "exception-translations",
    "icon-translations", "reconfiguration-flow", "repair-issues", "stale-devices",
    # Platinum
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _flatten(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        if isinstance(value, dict):
            keys |= _flatten(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def test_hacs_json() -> None:
    """hacs.json holds only keys HACS knows, and the oldest tested release."""
    hacs = _load(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == "SMS Credit"
    requirements = (ROOT / "requirements_test.txt").read_text(encoding="utf-8")
    plugin = re.search(r"pytest-homeassistant-custom-component==(\S+)", requirements)
    assert plugin is not None
    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415

    # The tests run on exactly this release; HACS must not offer older ones.
    assert hacs["homeassistant"] == ha_version
    for name in ("README.md", "info.md", "LICENSE"):
        assert (ROOT / name).is_file(), name


def test_manifest() -> None:
    """The manifest has the keys hassfest wants, in the order it wants."""
    manifest = _load(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == INTEGRATION.name
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "service"
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["codeowners"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert manifest[key].startswith("https://"), key
    # Custom integrations must carry a version AwesomeVersion understands.
    assert AwesomeVersion(manifest["version"]).valid
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    # Everything the integration imports comes with Home Assistant.
    assert manifest.get("requirements", []) == []


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("icon.png", (256, 256)),
        ("icon@2x.png", (512, 512)),
        ("dark_icon.png", (256, 256)),
        ("dark_icon@2x.png", (512, 512)),
    ],
)
def test_brand_icons(name: str, size: tuple[int, int]) -> None:
    """The icons are square PNGs of the sizes Home Assistant serves."""
    with Image.open(INTEGRATION / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.size == size


@pytest.mark.parametrize("prefix", ["", "dark_"])
def test_brand_logos(prefix: str) -> None:
    """Logos are landscape PNGs, the @2x twice the size of the plain one."""
    with (
        Image.open(INTEGRATION / "brand" / f"{prefix}logo.png") as logo,
        Image.open(INTEGRATION / "brand" / f"{prefix}logo@2x.png") as logo2x,
    ):
        assert logo.format == logo2x.format == "PNG"
        assert 128 <= logo.height <= 256
        assert logo.width >= logo.height
        assert abs(logo2x.height - 2 * logo.height) <= 1
        assert abs(logo2x.width - 2 * logo.width) <= 2


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_translations_match_english(language: str) -> None:
    """Every translation has exactly the keys of en.json, none empty."""
    english = _flatten(_load(INTEGRATION / "translations" / "en.json"))
    other_tree = _load(INTEGRATION / "translations" / f"{language}.json")
    assert _flatten(other_tree) == english

    def values(tree: dict[str, Any]) -> list[str]:
        out: list[str] = []
        for value in tree.values():
            out.extend(values(value) if isinstance(value, dict) else [value])
        return out

    assert all(isinstance(v, str) and v.strip() for v in values(other_tree))


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_placeholders_match(language: str) -> None:
    """A translated string uses the same {placeholders} as the English one."""
    english = _load(INTEGRATION / "translations" / "en.json")
    other = _load(INTEGRATION / "translations" / f"{language}.json")

    def walk(en: dict[str, Any], tr: dict[str, Any], path: str) -> None:
        for key, value in en.items():
            if isinstance(value, dict):
                walk(value, tr[key], f"{path}{key}.")
            else:
                found = set(re.findall(r"\{(\w+)\}", tr[key]))
                assert found == set(re.findall(r"\{(\w+)\}", value)), path + key

    walk(english, other, "")


def test_translations_have_no_key_references() -> None:
    """Custom integrations cannot use [%key:...%] references."""
    for language in LANGUAGES:
        text = (INTEGRATION / "translations" / f"{language}.json").read_text(
            encoding="utf-8"
        )
        assert "[%key:" not in text, language


def test_icons_match_translations() -> None:
    """Every icon belongs to a translated entity, exception or service."""
    icons = _load(INTEGRATION / "icons.json")
    english = _load(INTEGRATION / "translations" / "en.json")
    for platform, entities in icons.get("entity", {}).items():
        for key in entities:
            assert key in english["entity"][platform], f"{platform}.{key}"
    for platform, entities in english.get("entity", {}).items():
        for key in entities:
            assert key in icons.get("entity", {}).get(platform, {}), (
                f"no icon for {platform}.{key}"
            )


def test_quality_scale_lists_every_rule() -> None:
    """quality_scale.yaml names every rule, each done, todo or exempt with why."""
    scale = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text("utf-8"))
    rules = scale["rules"]
    assert set(rules) == QUALITY_RULES
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in {"done", "todo", "exempt"}, rule
            if status["status"] == "exempt":
                assert status.get("comment", "").strip(), rule
        else:
            assert status in {"done", "todo"}, rule


# hassfest refuses URLs in translations: they come in through placeholders.
HASSFEST_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def _strings(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            found.update(_strings(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_name_no_provider_and_no_url(language: str) -> None:
    """Shared texts fit every provider: names and links come from placeholders.

    Only the list of servers names their addresses.
    """
    strings = _strings(_load(INTEGRATION / "translations" / f"{language}.json"))
    for key, text in strings.items():
        assert not HASSFEST_URL.search(text), key
        if not key.startswith("selector.host."):
            assert not re.search(r"smsc|agile", text, re.IGNORECASE), (key, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_login_method_and_field_has_its_texts(language: str) -> None:
    """Each declared login method is named, and each field labelled and explained.

    In the one credentials form (add), its reconfigure twin, and reauth (the
    secrets). A site's translated label names its address; a site without
    one shows its declared label (address and country).
    """
    translations = _load(INTEGRATION / "translations" / f"{language}.json")
    methods = translations["selector"]["auth_method"]["options"]
    steps = translations["config"]["step"]
    for spec in PROVIDERS.values():
        for host in spec.hosts:
            label = translations["selector"]["host"]["options"].get(host_option(host))
            assert label is None or label.startswith(host.removeprefix("https://"))
        for method in spec.auth_methods:
            assert methods[method.key]
            for field in method.fields:
                steps_of_field = ["credentials", "reconfigure"]
                if field.secret:
                    steps_of_field.append("reauth_confirm")
                for step in steps_of_field:
                    assert steps[step]["data"][field.form_key], (step, field)
                    assert steps[step]["data_description"][field.form_key]
