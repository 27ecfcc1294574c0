"""Time the import of an integration's modules in a fresh interpreter.

Run by ``bench/run.py`` (never on its own) as::

    python importtime_probe.py PLAN.json SIDE MODE

``PLAN.json`` holds the configuration directory (whose ``custom_components``
has both integrations), and per side the modules that setting up an entry
made Home Assistant import; per mode, the Home Assistant modules imported
first, untimed. Prints one JSON object: ``wall`` and ``cpu`` seconds spent
importing the side's modules.

Byte-code is read from (and written to) ``__pycache__`` as in a real
installation, except in the ``compile`` mode, which measures the first start
after an installation or upgrade: the side's modules are then compiled from
source (a fresh, empty ``sys.pycache_prefix``, and nothing written).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
import sys
import tempfile
import time


def main() -> None:
    """Import what the plan says; print how long the timed part took."""
    plan_path, side, mode = sys.argv[1:4]
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    sys.path.insert(0, plan["config_dir"])
    for name in plan["preload"][mode]:
        importlib.import_module(name)
    modules = plan["modules"][side]
    if mode == "compile":
        sys.dont_write_bytecode = True
        sys.pycache_prefix = tempfile.mkdtemp(prefix="no-pycache-")
    wall, cpu = time.perf_counter(), time.process_time()
    for name in modules:
        importlib.import_module(name)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu}))


if __name__ == "__main__":
    main()
