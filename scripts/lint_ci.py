"""Lint what only GitHub runs: the workflows, their shell steps, and the scripts.

    python scripts/lint_ci.py [ROOT]

scripts/test runs it on the checkout; tests/test_lint_ci.py runs it on broken
copies to prove that each check fails when it should. The checks:

* check-jsonschema, offline, with the SchemaStore schemas it ships: the
  workflows (and that every job has ``timeout-minutes``), dependabot.yml,
  the issue forms and their config.
* zizmor, offline: the workflows' security (actions not pinned to a commit,
  template injection, credentials left in the checkout, broad permissions).
* ShellCheck: the shell scripts (scripts/, .ci/run), and every ``run:`` step
  of the workflows, with its ``${{ }}`` expressions masked (as actionlint
  masks them).
* actionlint, where it is installed (``SMS_CREDIT_ACTIONLINT`` names it, or
  on PATH): its PyPI package downloads a binary from GitHub when it is built,
  so the tests workflow has it and machines without GitHub access do not. A
  set ``SMS_CREDIT_ACTIONLINT`` that names no program is an error.

Exits 1 when any check fails, after running all of them.
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
SHELLS = {"bash", "sh"}


def run(title: str, command: list[str]) -> bool:
    """Run one check, print what it says under ``title``; True when it passed."""
    print(f"--- {title}", flush=True)
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    output = (done.stdout + done.stderr).strip()
    if output:
        print(output, flush=True)
    if done.returncode:
        print(f"--- {title}: FAILED (exit {done.returncode})", flush=True)
    return done.returncode == 0


def tool(name: str) -> str:
    """The path of a program the check needs (in the venv or on PATH)."""
    found = shutil.which(name) or shutil.which(
        name, path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise SystemExit(f"error: {name} is not installed (scripts/setup installs it)")
    return found


def shell_scripts(root: Path) -> list[Path]:
    """scripts/ and .ci/ files that are bash scripts (by shebang or directive)."""
    found = []
    for folder in (root / "scripts", root / ".ci"):
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            if path.is_file() and path.suffix != ".py":
                first = path.read_text(encoding="utf-8", errors="replace")[:200]
                if (first.startswith("#!") and "sh" in first.splitlines()[0]) or (
                    "shellcheck shell=" in first
                ):
                    found.append(path)
    return found


def workflows(root: Path) -> list[Path]:
    """The workflow files."""
    folder = root / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def run_steps(workflow: Path) -> list[tuple[str, str]]:
    """Each bash ``run:`` step of a workflow: (where, script)."""
    data: Any = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        return []
    default = (data.get("defaults") or {}).get("run", {}).get("shell", "bash")
    found = []
    for job_id, job in (data.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        job_shell = (job.get("defaults") or {}).get("run", {}).get("shell", default)
        for number, step in enumerate(job.get("steps") or [], start=1):
            if not isinstance(step, dict) or "run" not in step:
                continue
            shell = str(step.get("shell", job_shell)).split()[0]
            if shell in SHELLS:
                name = step.get("name", f"step {number}")
                found.append(
                    (f"{workflow.name}: job {job_id}, {name!r}", str(step["run"]))
                )
    return found


def check_run_steps(root: Path, shellcheck: str) -> bool:
    """ShellCheck each workflow step's script, as the runner's bash runs it."""
    print("--- ShellCheck: the workflows' run steps", flush=True)
    passed = True
    with tempfile.TemporaryDirectory() as folder:
        for workflow in workflows(root):
            for where, script in run_steps(workflow):
                masked = EXPRESSION.sub(lambda m: "_" * len(m[0]), script)
                path = Path(folder) / "step.sh"
                path.write_text(f"# shellcheck shell=bash\n{masked}", encoding="utf-8")
                done = subprocess.run(
                    [shellcheck, "--format=gcc", str(path)],
                    check=False,
                    capture_output=True,
                    text=True,
                )
                for line in done.stdout.splitlines():
                    _, line_no, column, message = line.split(":", 3)
                    print(f"{where}, line {int(line_no) - 1}:{column}:{message}")
                passed = passed and done.returncode == 0
    if not passed:
        print("--- ShellCheck: the workflows' run steps: FAILED", flush=True)
    return passed


def main(argv: list[str] | None = None) -> int:
    """Run every check on ROOT (default: this checkout)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]).resolve() if args else ROOT
    github = root / ".github"
    flows = [str(path) for path in workflows(root)]
    if not flows:
        print(f"error: no workflows in {github / 'workflows'}", file=sys.stderr)
        return 1
    schema = [tool("check-jsonschema"), "--disable-formats", "*", "--builtin-schema"]
    shellcheck = tool("shellcheck")
    results = [
        run(
            "check-jsonschema: workflows", [*schema, "vendor.github-workflows", *flows]
        ),
        run(
            "check-jsonschema: every job has timeout-minutes",
            [*schema, "custom.github-workflows-require-timeout", *flows],
        ),
        run(
            "check-jsonschema: dependabot.yml",
            [*schema, "vendor.dependabot", str(github / "dependabot.yml")],
        ),
        run(
            "check-jsonschema: issue forms",
            [
                *schema,
                "vendor.github-issue-forms",
                *(
                    str(p)
                    for p in sorted((github / "ISSUE_TEMPLATE").glob("*.yml"))
                    if p.name != "config.yml"
                ),
            ],
        ),
        run(
            "check-jsonschema: issue template config",
            [
                *schema,
                "vendor.github-issue-config",
                str(github / "ISSUE_TEMPLATE" / "config.yml"),
            ],
        ),
        run(
            "zizmor (offline, pedantic)",
            [
                tool("zizmor"),
                "--offline",
                "--persona=pedantic",
                "--no-progress",
                "--color=never",
                *flows,
            ],
        ),
        run(
            "ShellCheck: scripts",
            [
                shellcheck,
                "--external-sources",
                "--source-path=SCRIPTDIR",
                *(str(path) for path in shell_scripts(root)),
            ],
        ),
        check_run_steps(root, shellcheck),
    ]
    named = os.environ.get("SMS_CREDIT_ACTIONLINT")
    actionlint = shutil.which(named) if named else shutil.which("actionlint")
    if named and not actionlint:
        print(f"--- actionlint: SMS_CREDIT_ACTIONLINT={named} names no program")
        results.append(False)
    elif actionlint:
        results.append(
            run(
                "actionlint",
                [actionlint, "-shellcheck", shellcheck, "-no-color", *flows],
            )
        )
    else:
        print("--- actionlint: not installed here (see requirements_ci.txt), skipped")
    if not all(results):
        print("error: the CI lint failed (see above)", file=sys.stderr)
        return 1
    print("CI lint: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
