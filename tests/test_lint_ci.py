"""The CI lint (scripts/lint_ci.py) is wired: each check fails on what it is for.

GitHub runs the workflows; this machine cannot. scripts/test lints them
instead, and these tests break a copy of the repository's CI files one way at
a time to prove that exactly the check meant to catch it turns red, and that
the untouched copy is green.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import re
import shutil
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS_WORKFLOW = Path(".github/workflows/tests.yml")


def lint(root: Path) -> tuple[int, str]:
    """Run the CI lint on ``root``; return its exit code and output."""
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "scripts" / "lint_ci.py"), str(root)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr


def failed_checks(output: str) -> set[str]:
    """The checks the lint reported as failed (actionlint aside: not everywhere)."""
    found = set(re.findall(r"^--- (.+): FAILED", output, re.MULTILINE))
    return found - {"actionlint"}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The repository's CI files (workflows, forms, scripts) in a fresh folder."""
    for folder in (".github", "scripts", ".ci"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) with ``new`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_repository_passes(copy: Path) -> None:
    """The CI files as committed pass every check."""
    code, output = lint(copy)
    assert code == 0, output
    assert "CI lint: all checks passed" in output


WORKFLOW_SCHEMAS = (
    "check-jsonschema: workflows",
    # That schema extends the workflow schema: a bad workflow fails it too.
    "check-jsonschema: every job has timeout-minutes",
)
BREAKAGES: dict[str, tuple[Callable[[Path], None], str | tuple[str, ...], str]] = {
    "misspelt key": (
        lambda root: edit(root / TESTS_WORKFLOW, "runs-on:", "run-on:"),
        WORKFLOW_SCHEMAS,
        "run-on",
    ),
    "no timeout": (
        lambda root: edit(root / TESTS_WORKFLOW, "    timeout-minutes: 90\n", ""),
        "check-jsonschema: every job has timeout-minutes",
        "timeout-minutes",
    ),
    "action not pinned to a commit": (
        lambda root: edit(
            root / TESTS_WORKFLOW,
            "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
            "actions/checkout@v7",
        ),
        "zizmor (offline, pedantic)",
        "unpinned-uses",
    ),
    "template injection": (
        lambda root: edit(
            root / ".github/workflows/release.yml",
            'run: python scripts/release.py "$TAG"',
            "run: python scripts/release.py ${{ github.event.release.tag_name }}",
        ),
        "zizmor (offline, pedantic)",
        "template-injection",
    ),
    "unquoted variable in a run step": (
        lambda root: edit(
            root / TESTS_WORKFLOW, "run: scripts/test", "run: scripts/test $EXTRA"
        ),
        "ShellCheck: the workflows' run steps",
        "SC2086",
    ),
    "unquoted variable in a script": (
        lambda root: edit(
            root / "scripts" / "setup", "ensure_venv\n", "ensure_venv $EXTRA\n"
        ),
        "ShellCheck: scripts",
        "SC2086",
    ),
    "unknown Dependabot interval": (
        lambda root: edit(
            root / ".github/dependabot.yml", "interval: weekly", "interval: hourly"
        ),
        "check-jsonschema: dependabot.yml",
        "hourly",
    ),
    "issue form without a body": (
        lambda root: edit(
            root / ".github/ISSUE_TEMPLATE/bug_report.yml", "body:", "bodies:"
        ),
        "check-jsonschema: issue forms",
        "body",
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_ci_file_fails_its_check(copy: Path, breakage: str) -> None:
    """One deliberate fault: the lint fails, in that check only, naming it."""
    break_it, checks, named = BREAKAGES[breakage]
    break_it(copy)
    code, output = lint(copy)
    assert code == 1, output
    expected = {checks} if isinstance(checks, str) else set(checks)
    assert failed_checks(output) == expected, output
    assert named in output
    assert "error: the CI lint failed" in output
