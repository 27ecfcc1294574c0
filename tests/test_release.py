"""Releases: the tag, the manifest, the changelog and the zip HACS installs agree.

HACS (and the Marketplace of Home Assistant 2026.11) installs a release by
its tag, which must equal the manifest's ``version``; with ``zip_release`` it
unpacks the release's ``sms_credit.zip`` into custom_components/sms_credit.
scripts/release.py checks and builds that in .github/workflows/release.yml;
these tests run it as the workflow does.
"""

from __future__ import annotations

from datetime import date
import json
from pathlib import Path
import re
import shutil
import subprocess
import sys
import zipfile

import yaml

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "sms_credit"
RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.MULTILINE)


def version() -> str:
    """The manifest's version."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text("utf-8"))
    found: str = manifest["version"]
    return found


def release(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run scripts/release.py as the release workflow does."""
    return subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            str(ROOT / "scripts" / "release.py"),
            *args,
            "--root",
            str(root),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_changelog_newest_entry_is_the_manifest_version() -> None:
    """CHANGELOG.md (Keep a Changelog) leads with the manifest's version."""
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert text.index("## [Unreleased]") < text.index(f"## [{version()}]")
    releases = RELEASE.findall(text)
    assert releases[0][0] == version()
    # Newest first, each once, with a date not in the future and a link.
    numbers = [tuple(map(int, v.split("."))) for v, _ in releases]
    assert numbers == sorted(set(numbers), reverse=True)
    dates = [date.fromisoformat(d) for _, d in releases]
    assert dates == sorted(dates, reverse=True)
    for number, _ in releases:
        assert re.search(rf"^\[{re.escape(number)}\]: https://", text, re.MULTILINE)


def test_release_of_the_manifest_version_builds_the_zip(tmp_path: Path) -> None:
    """The zip holds the integration's files at its root, without caches."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("CHANGELOG.md", "hacs.json"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(
        INTEGRATION,
        root / "custom_components" / "sms_credit",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    cache = root / "custom_components" / "sms_credit" / "__pycache__"
    cache.mkdir()
    (cache / "sensor.cpython-314.pyc").write_bytes(b"\0")
    archive = tmp_path / "dist" / "sms_credit.zip"

    done = release(version(), "--zip", str(archive), root=root)

    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
    expected = {
        path.relative_to(INTEGRATION).as_posix()
        for path in INTEGRATION.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert names == expected
    assert {"__init__.py", "manifest.json", "translations/en.json"} <= names
    assert manifest["version"] == version()


def test_a_tag_other_than_the_version_is_refused(tmp_path: Path) -> None:
    """A "v" prefix or another number fails, naming the version it wanted."""
    for tag in (f"v{version()}", "99.0.0"):
        archive = tmp_path / f"{tag}.zip"
        done = release(tag, "--zip", str(archive))
        assert done.returncode == 1
        assert f"is not the manifest's version {version()!r}" in done.stderr
        assert not archive.exists()


def test_hacs_installs_the_zip_the_workflow_attaches() -> None:
    """hacs.json names the file release.yml builds and uploads."""
    hacs = json.loads((ROOT / "hacs.json").read_text("utf-8"))
    assert hacs["zip_release"] is True
    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    runs = " ".join(s.get("run", "") for s in workflow["jobs"]["zip"]["steps"])
    assert f"--zip dist/{hacs['filename']}" in runs
    assert f'gh release upload "$TAG" dist/{hacs["filename"]}' in runs
