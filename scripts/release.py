"""Check a release's tag and build its zip (what .github/workflows/release.yml runs).

    python scripts/release.py TAG [--zip dist/sms_credit.zip]

The tag must be a semantic version (``1.2.3``, no ``v``), equal to the
manifest's ``version`` and to the newest entry of CHANGELOG.md, and hacs.json
must ask HACS for the zip. The zip holds the integration folder's files at its
root, as HACS unpacks it into ``custom_components/sms_credit`` (no enclosing
folder, no caches). Exits 1 with every problem found, 0 when all is well.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import sys
import zipfile

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "sms_credit"
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
# Keep a Changelog: "## [1.2.3] - 2026-12-02" (and "## [Unreleased]").
RELEASE_HEADING = re.compile(r"^## \[([^\]]+)\] - (\d{4}-\d{2}-\d{2})$", re.MULTILINE)


def changelog_versions(root: Path = ROOT) -> list[tuple[str, str]]:
    """The released versions of CHANGELOG.md with their dates, newest first."""
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    return [(m[1], m[2]) for m in RELEASE_HEADING.finditer(text)]


def manifest_version(root: Path = ROOT) -> str:
    """The ``version`` of the integration's manifest."""
    manifest = root / "custom_components" / DOMAIN / "manifest.json"
    version: str = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return version


def problems(tag: str, root: Path = ROOT) -> list[str]:
    """What stands in the way of releasing ``tag`` from ``root``."""
    found = []
    if not SEMVER.fullmatch(tag):
        found.append(f"the tag {tag!r} is not a semantic version such as 1.2.3")
    version = manifest_version(root)
    if tag != version:
        found.append(f"the tag {tag!r} is not the manifest's version {version!r}")
    versions = changelog_versions(root)
    newest = versions[0][0] if versions else None
    if tag != newest:
        found.append(f"the tag {tag!r} is not CHANGELOG.md's newest entry {newest!r}")
    hacs = json.loads((root / "hacs.json").read_text(encoding="utf-8"))
    if hacs.get("zip_release") is not True or hacs.get("filename") != f"{DOMAIN}.zip":
        found.append(
            f'hacs.json must set "zip_release": true, "filename": "{DOMAIN}.zip"'
        )
    return found


def build_zip(destination: Path, root: Path = ROOT) -> list[str]:
    """Write the integration's files to ``destination``; return their names."""
    folder = root / "custom_components" / DOMAIN
    names = sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".pyc", ".pyo"}
    )
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(folder / name, name)
    return names


def main(argv: list[str] | None = None) -> int:
    """Check the tag; build the zip when asked and the tag is right."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the release's Git tag, e.g. 0.2.0")
    parser.add_argument("--zip", type=Path, help="where to write sms_credit.zip")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if found := problems(args.tag, args.root):
        for problem in found:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    if args.zip:
        names = build_zip(args.zip, args.root)
        print(f"{args.zip}: {len(names)} files of custom_components/{DOMAIN}")
    print(f"release {args.tag}: tag, manifest, changelog and hacs.json agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
