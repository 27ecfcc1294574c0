"""The table ``scripts/soak`` prints, from the runs its tests recorded."""

from __future__ import annotations

from collections import Counter
import json
from pathlib import Path
import sys

from tests.soak.invariants import INVARIANTS


def table(lines: list[dict[str, object]]) -> str:
    """Seeds, simulated days, events by kind, requests, checks, violations."""
    events: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    for line in lines:
        events.update(line["events"])  # type: ignore[arg-type]
        violations.update(line["violations"])  # type: ignore[arg-type]
    failed = sorted(int(str(line["seed"])) for line in lines if line["violations"])
    rows = [
        ("seeds", f"{len(lines)}" + (f" (failed: {failed})" if failed else "")),
        ("simulated days", f"{sum(float(str(line['days'])) for line in lines):g}"),
        (
            "accounts per seed",
            ", ".join(sorted({str(line["accounts"]) for line in lines})),
        ),
        ("events", f"{sum(events.values())}"),
        *((f"  {kind}", f"{count}") for kind, count in sorted(events.items())),
        (
            "skipped (did not apply)",
            f"{sum(int(str(line['skipped'])) for line in lines)}",
        ),
        ("requests sent", f"{sum(int(str(line['requests'])) for line in lines)}"),
        ("invariant checks", f"{sum(int(str(line['checks'])) for line in lines)}"),
        ("violations", f"{sum(violations.values())}"),
        *((f"  {name}", f"{violations[name]}") for name in INVARIANTS),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"| {name:<{width}} | {value:>12} |" for name, value in rows)


def main(path: str) -> None:
    """Print the table of the runs recorded in ``path``."""
    file = Path(path)
    lines = (
        [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
        if file.exists()
        else []
    )
    print(table(lines))  # noqa: T201 - the script's output


if __name__ == "__main__":
    main(sys.argv[1])
