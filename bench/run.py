"""What SMS Credit costs Home Assistant, side by side with the bare minimum.

Run with ``scripts/bench`` (it sets up the environment). The integrations
run in a real Home Assistant core in this process (see ``harness.py``)
against the stand-in provider in a child process on 127.0.0.1:

* ``sms_credit``, this repository's integration;
* ``sms_credit_ref`` (``bench/reference/``), the floor: one coordinator, one
  request, one sensor per entry, and nothing else;
* with ``--entity-model``, also the reference with the integration's entity
  model (a device and four entities per entry): what is left between it and
  the integration is the integration's own code.

For each of N = 1, 50 and 500 config entries, every repeat starts a new Home
Assistant with empty storage holding the N entries and measures:

* set-up, new entries: setting up the integration, which sets up the N
  entries at once as at a start, until every delayed ``.storage`` write is
  done (wall and CPU time per entry, requests per entry);
* set-up at restart: the same in a second Home Assistant on that storage
  (devices and entities known; the integration's stored balances made stale
  so that it asks the provider, as the reference does);
* one refresh cycle, in the restarted one: the stand-in gets a new balance
  for every account, then every coordinator's ``async_refresh`` runs at once,
  until the new credit is in every entity's state and ``.storage`` is
  written (CPU time and requests per entry);
* then five refreshes of one entry alone, each with a new balance and its own
  ``.storage`` write (CPU time per refresh): what a refresh costs when the
  entries' timers do not fire together.

Then, in one Home Assistant per side with N = 500 (``--memory-entries``) and
``tracemalloc`` on: memory held per entry after set-up, and over 200
unload/reload cycles of one entry (after 50 unmeasured ones) the memory
growth and the objects gained per reload (``gc`` runs before each reading).
Last, the import time of each integration's modules (those that setting up
an entry imported) in fresh interpreters.

CPU time is ``time.process_time`` (every thread of this process, Home
Assistant's executor included; the stand-in is another process). The sides
alternate within each repeat; the table shows the median and the range.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
import datetime as dt
from functools import partial
import gc
import json
import os
from pathlib import Path
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import aiohttp
from harness import (
    BENCH_DIR,
    INTEGRATION,
    REFERENCE,
    REFERENCE_ENTITIES,
    Side,
    Standin,
    entry_for,
    flush_writes,
    forget_fetch_times,
    make_config_dir,
    quiet_logging,
    running_hass,
    write_entries,
)
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

SIZES = (1, 50, 500)
REPEATS = {1: 9, 50: 7, 500: 3}
QUICK_REPEATS = {1: 3, 50: 3, 500: 1}
MEMORY_ENTRIES = 500
MEMORY_REPEATS = 2
RELOAD_WARMUP = 50
RELOAD_CYCLES = 200
IMPORT_REPEATS = 9
# Single-entry refreshes per repeat (with the set-up, restart and cycle's,
# within the integration's limit of 10 requests a minute per account).
SINGLE_REFRESHES = 5
PROFILE_FLAT_LINES = 40

GOAL_RATIO = 1.25
# Reloading one entry frees and allocates many objects; hash tables that
# resize on the way move the total by tens of KiB either way. A leak grows
# with every cycle: 200 cycles x ~330 bytes would cross this.
GROWTH_TOLERANCE_KIB = 64.0
OBJECTS_TOLERANCE = 0.5  # gc-tracked objects gained per reload

EVERY_PROVIDER = "import, own modules, every provider too (the add flow)"
"""The integration's modules and every registered provider's, as when the
add flow lists them; the reference's own modules beside it."""
IMPORT_MODES = {
    "own": "import, own modules (HA's pre-imported)",
    "with_ha": "import, with the HA modules it needs",
    "compile": "import, own modules, no byte-code yet",
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of the table."""

    key: str
    label: str
    unit: str
    scale: float  # from the recorded value to the unit shown
    goal: str  # "ratio", "one", "growth", "objects" or "" (see _verdict)
    digits: int = 2


@dataclass
class Results:
    """Every sample, by figure key and side label."""

    samples: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, key: str, side: Side, value: float) -> None:
        """Record one sample of the figure ``key`` for ``side``."""
        self.samples.setdefault((key, side.label), []).append(value)

    def get(self, key: str, side: Side) -> list[float]:
        """The samples of ``key`` for ``side`` (none if not measured)."""
        return self.samples.get((key, side.label), [])


def figures(sizes: Sequence[int], memory_entries: int) -> list[Figure]:
    """The rows of the table, in order."""
    rows: list[Figure] = []
    phases = (
        ("setup", "set-up, new entries"),
        ("restart", "set-up at restart"),
        ("refresh", "refresh"),
    )
    for phase, label in phases:
        for n in sizes:
            for kind, shown in (("wall", "wall"), ("cpu", "CPU")):
                if (phase, kind) == ("refresh", "wall"):
                    continue
                rows.append(
                    Figure(
                        f"{phase}_{kind}_{n}",
                        f"{label}, {shown}/entry, N={n}",
                        "ms",
                        1e3,
                        "ratio",
                    )
                )
    rows += [
        Figure(
            f"single_cpu_{n}",
            f"refresh of one entry alone, CPU, N={n}",
            "ms",
            1e3,
            "ratio",
        )
        for n in sizes
    ]
    rows += [
        Figure(f"{phase}_requests_{n}", f"requests/entry, {label}, N={n}", "", 1, "one")
        for phase, label in phases
        for n in sizes
    ]
    rows += [
        Figure(
            "memory",
            f"memory held per entry, N={memory_entries}",
            "KiB",
            1 / 1024,
            "ratio",
            1,
        ),
        Figure(
            "reload_growth",
            f"memory growth, {RELOAD_CYCLES} reloads of one entry",
            "KiB",
            1 / 1024,
            "growth",
            1,
        ),
        Figure("reload_objects", "objects gained per reload", "", 1, "objects", 2),
        Figure("reload_requests", "requests per reload", "", 1, "", 2),
    ]
    rows += [
        Figure(f"import_{mode}", label, "ms", 1e3, "ratio", 1)
        for mode, label in IMPORT_MODES.items()
    ]
    rows.append(Figure("import_every", EVERY_PROVIDER, "ms", 1e3, "", 1))
    return rows


@contextmanager
def measured() -> Iterator[dict[str, float]]:
    """Measure the wall and CPU time of a block (after a ``gc`` run)."""
    gc.collect()
    times: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    yield times
    times["cpu"] = time.process_time() - cpu
    times["wall"] = time.perf_counter() - wall


class Profiles:
    """pyinstrument profiles of one phase (``--profile``), in unrecorded runs."""

    def __init__(self, phase: str | None, *, show_all: bool = False) -> None:
        """Profile ``phase``, or nothing when ``None``."""
        self.phase = phase
        self.show_all = show_all
        self.texts: list[str] = []

    @contextmanager
    def maybe(self, phase: str, side: Side, entries: int) -> Iterator[None]:
        """Profile the block when it is the phase asked for."""
        if phase != self.phase:
            yield
            return
        from pyinstrument import Profiler  # noqa: PLC0415 - only with --profile

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()
            tree = profiler.output_text(unicode=True, show_all=self.show_all)
            flat = profiler.output_text(unicode=True, flat=True).splitlines()
            self.texts.append(
                f"### {phase}, {side.label}, N={entries}\n{tree}\n"
                "Most self time:\n" + "\n".join(flat[:PROFILE_FLAT_LINES])
            )


NO_PROFILES = Profiles(None)


def _balances() -> Iterator[str]:
    """New balances for the stand-in, never the same twice."""
    cents = 20000
    while True:
        cents += 7
        yield f"{cents // 100}.{cents % 100:02d}"


BALANCES = _balances()


def _check(condition: object, message: str) -> None:
    """Stop the benchmark when it measured something else than it says."""
    if not condition:
        raise RuntimeError(message)


def _loaded_entries(hass: HomeAssistant, side: Side, n: int) -> list[ConfigEntry]:
    entries = hass.config_entries.async_entries(side.domain)
    _check(len(entries) == n, f"{side.label}: {len(entries)} entries, not {n}")
    not_loaded = [e.title for e in entries if e.state is not ConfigEntryState.LOADED]
    _check(not not_loaded, f"{side.label}: not loaded: {not_loaded[:3]}")
    return entries


async def _set_up(
    hass: HomeAssistant,
    side: Side,
    n: int,
    standin: Standin,
    profiles: Profiles,
    phase: str,
) -> tuple[dict[str, float], int, list[ConfigEntry]]:
    """Set up the integration (all N entries), until ``.storage`` is written.

    Returns the times, the requests the stand-in received, and the entries.
    """
    requests = await standin.requests()
    with measured() as times, profiles.maybe(phase, side, n):
        _check(await async_setup_component(hass, side.domain, {}), "no set-up")
        await hass.async_block_till_done()
        await flush_writes(hass)
    entries = _loaded_entries(hass, side, n)
    return times, await standin.requests() - requests, entries


async def setup_and_refresh(
    side: Side,
    n: int,
    standin: Standin,
    config_dir: Path,
    results: Results,
    profiles: Profiles,
) -> set[str]:
    """One repeat: set up N new entries; restart; one refresh cycle.

    Returns the names of the modules loaded before the integration was set up
    (for the import-time probe).
    """
    write_entries(config_dir, [entry_for(side, standin.url, i) for i in range(n)])
    # First start: the entries are new (no device or entity is registered).
    async with running_hass(config_dir) as hass:
        modules_before = set(sys.modules)
        first, first_requests, _ = await _set_up(
            hass, side, n, standin, profiles, "setup"
        )
    # Restart: devices and entities are known (and the balances stale).
    forget_fetch_times(config_dir)
    async with running_hass(config_dir) as hass:
        restart, restart_requests, entries = await _set_up(
            hass, side, n, standin, profiles, "restart"
        )
        balance = next(BALANCES)
        await standin.set_balance(n, balance)
        requests = await standin.requests()
        with measured() as refresh, profiles.maybe("refresh", side, n):
            await asyncio.gather(*(e.runtime_data.async_refresh() for e in entries))
            await hass.async_block_till_done()
            await flush_writes(hass)
        refresh_requests = await standin.requests() - requests
        sensors = hass.states.async_all("sensor")
        updated = sum(state.state == balance for state in sensors)
        _check(updated == n, f"{side.label}: {updated} of {n} credits updated")
        single = await _refresh_one(hass, entries[0], side, n, standin, profiles)

    for phase, times, requests in (
        ("setup", first, first_requests),
        ("restart", restart, restart_requests),
        ("refresh", refresh, refresh_requests),
    ):
        results.add(f"{phase}_wall_{n}", side, times["wall"] / n)
        results.add(f"{phase}_cpu_{n}", side, times["cpu"] / n)
        results.add(f"{phase}_requests_{n}", side, requests / n)
    for cpu in single:
        results.add(f"single_cpu_{n}", side, cpu)
    return modules_before


async def _refresh_one(
    hass: HomeAssistant,
    entry: ConfigEntry,
    side: Side,
    n: int,
    standin: Standin,
    profiles: Profiles,
) -> list[float]:
    """CPU time of refreshing one entry alone, ``SINGLE_REFRESHES`` times.

    What each refresh costs when the entries' timers do not fire together
    (entries added at different times): nothing is shared with other entries'
    refreshes, the ``.storage`` writes included.
    """
    times = []
    for _ in range(SINGLE_REFRESHES):
        balance = next(BALANCES)
        await standin.set_balance(1, balance)
        with measured() as refresh, profiles.maybe("single", side, n):
            await entry.runtime_data.async_refresh()
            await hass.async_block_till_done()
            await flush_writes(hass)
        _check(entry.runtime_data.last_update_success, "a refresh failed")
        times.append(refresh["cpu"])
    return times


def _traced() -> tuple[int, int]:
    """Memory traced now, and how many objects ``gc`` tracks (after a run)."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0], len(gc.get_objects())


async def memory_and_reloads(
    side: Side,
    n: int,
    standin: Standin,
    config_dir: Path,
    results: Results,
    profiles: Profiles,
) -> None:
    """Memory held per entry after set-up; growth over reloads of one entry."""
    write_entries(config_dir, [entry_for(side, standin.url, i) for i in range(n)])
    async with running_hass(config_dir) as hass:
        tracemalloc.start()
        try:
            before, _ = _traced()
            _check(await async_setup_component(hass, side.domain, {}), "no set-up")
            await hass.async_block_till_done()
            await flush_writes(hass)
            held = _traced()[0] - before
            entry_id = _loaded_entries(hass, side, n)[0].entry_id

            async def reload(cycles: int) -> None:
                for _ in range(cycles):
                    reloaded = await hass.config_entries.async_reload(entry_id)
                    _check(reloaded, "no reload")
                await hass.async_block_till_done()
                await flush_writes(hass)

            await reload(RELOAD_WARMUP)
            (memory, objects), requests = _traced(), await standin.requests()
            with profiles.maybe("reload", side, n):
                await reload(RELOAD_CYCLES)
            memory_after, objects_after = _traced()
            reload_requests = await standin.requests() - requests
        finally:
            tracemalloc.stop()
    results.add("memory", side, held / n)
    results.add("reload_growth", side, memory_after - memory)
    results.add("reload_objects", side, (objects_after - objects) / RELOAD_CYCLES)
    results.add("reload_requests", side, reload_requests / RELOAD_CYCLES)


def measure_imports(
    config_dir: Path,
    modules_before: set[str],
    sides: Sequence[Side],
    results: Results,
    repeats: int,
) -> None:
    """Time each side's imports in fresh interpreters (sides alternate)."""
    every = set(sys.modules)
    ha_modules = sorted(name for name in every if name.startswith("homeassistant"))
    modules = {
        side.label: sorted(
            name
            for name in every
            if name == f"custom_components.{side.domain}"
            or name.startswith(f"custom_components.{side.domain}.")
        )
        for side in sides
    }
    # Every registered provider too (set-up imports only the one in use).
    registry = sys.modules[f"custom_components.{INTEGRATION.domain}.providers"]
    modules["every"] = sorted(
        {*modules[INTEGRATION.label], *registry.REGISTRY.values()}
    )
    plan = {
        "config_dir": str(config_dir),
        "modules": modules,
        "preload": {
            # Every Home Assistant module the run loaded: only the
            # integration's own code is left to import.
            "own": ha_modules,
            # What Home Assistant had loaded before either integration.
            "with_ha": sorted(
                name for name in modules_before if name.startswith("homeassistant")
            ),
            # As "own", then compiled from source: the first start after an
            # installation or upgrade.
            "compile": ha_modules,
        },
    }
    plan_path = config_dir.parent / "import-plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    probe = BENCH_DIR / "importtime_probe.py"
    # Byte-code cached as in any installation (the environment may say not to).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def probe_wall(label: str, mode: str) -> float:
        """Seconds one fresh interpreter spent importing ``label``'s modules."""
        out = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, str(probe), str(plan_path), label, mode],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        wall: float = json.loads(out.stdout.splitlines()[-1])["wall"]
        return wall

    for mode in IMPORT_MODES:
        for repeat in range(repeats + 1):  # the first run of each side warms up
            for side in sides:
                wall = probe_wall(side.label, mode)
                if repeat:
                    results.add(f"import_{mode}", side, wall)
                if repeat and mode == "own":
                    label = "every" if side is INTEGRATION else side.label
                    results.add("import_every", side, probe_wall(label, mode))


def _cpu_model() -> str:
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> list[str]:
    """Lines saying what the run ran on, and when."""
    system = f"{platform.system()} {platform.release()} {platform.machine()}"
    python = f"{platform.python_version()} ({platform.python_implementation()})"
    return [
        f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {_cpu_model()}, {os.cpu_count()} logical cores, {system}",
        f"Python {python}, Home Assistant {HA_VERSION}, aiohttp {aiohttp.__version__}",
    ]


def _format(values: list[float], figure: Figure) -> str:
    if not values:
        return "-"
    shown = [v * figure.scale for v in values]
    text = f"{statistics.median(shown):.{figure.digits}f}"
    if len(shown) > 1 and max(shown) != min(shown):
        low, high = min(shown), max(shown)
        text += f" [{low:.{figure.digits}f}..{high:.{figure.digits}f}]"
    return text


def _ratio(ours: list[float], ref: list[float]) -> str:
    if not ours or not ref or statistics.median(ref) <= 0:
        return "-"
    return f"{statistics.median(ours) / statistics.median(ref):.2f}x"


def _verdict(figure: Figure, ours: list[float], ref: list[float]) -> str:
    """The goal of a figure, and whether the integration meets it."""
    if not ours or not ref or not figure.goal:
        return ""
    mine, floor = statistics.median(ours), statistics.median(ref)
    match figure.goal:
        case "ratio":
            goal, met = f"<={GOAL_RATIO}x", mine <= GOAL_RATIO * floor
        case "one":
            goal, met = "=1", max(ours) == min(ours) == 1
        case "growth":
            goal = f"<{GROWTH_TOLERANCE_KIB:.0f}KiB"
            met = max(ours) * figure.scale < GROWTH_TOLERANCE_KIB
        case _:
            goal, met = f"<{OBJECTS_TOLERANCE}", max(ours) < OBJECTS_TOLERANCE
    return f"{goal} {'ok' if met else 'MISSED'}"


def table(results: Results, rows: list[Figure], sides: Sequence[Side]) -> list[str]:
    """The results, one row per figure: ours, the references', the ratios."""
    references = [side for side in sides if side is not INTEGRATION]
    header = ["figure", "unit", INTEGRATION.label]
    for side in references:
        header += [side.label, "ratio"]
    header += ["goal", "runs"]
    lines: list[list[str]] = [header]
    for figure in rows:
        ours = results.get(figure.key, INTEGRATION)
        if not ours:
            continue
        line = [figure.label, figure.unit, _format(ours, figure)]
        for side in references:
            ref = results.get(figure.key, side)
            # A ratio of two growths around zero means nothing.
            ratio = "-" if figure.goal in {"growth", "objects"} else _ratio(ours, ref)
            line += [_format(ref, figure), ratio]
        line += [
            _verdict(figure, ours, results.get(figure.key, REFERENCE)),
            str(len(ours)),
        ]
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = []
    for number, line in enumerate(lines):
        cells = [
            cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i])
            for i, cell in enumerate(line)
        ]
        text.append("| " + " | ".join(cells) + " |")
        if number == 0:
            text.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return text


def _run[T](work: Callable[[], Awaitable[T]], standin: Standin) -> T:
    """Run one Home Assistant's work in a new event loop."""

    async def main() -> T:
        try:
            return await work()
        finally:
            await standin.close_session()

    return asyncio.run(main())


def measure(
    args: argparse.Namespace,
    sides: Sequence[Side],
    standin: Standin,
    config_dir: Path,
    results: Results,
) -> None:
    """The recorded runs: set-up and refresh for each N, then memory."""
    repeats = QUICK_REPEATS if args.quick else REPEATS
    for n in args.sizes:
        count = repeats.get(n, 3)
        for repeat in range(count):
            print(f"N={n}: repeat {repeat + 1}/{count}", file=sys.stderr)
            # Alternate which side goes first.
            order = sides if repeat % 2 == 0 else sides[::-1]
            for side in order:
                _run(
                    partial(
                        setup_and_refresh,
                        side,
                        n,
                        standin,
                        config_dir,
                        results,
                        NO_PROFILES,
                    ),
                    standin,
                )
    for repeat in range(1 if args.quick else MEMORY_REPEATS):
        print(f"memory and reloads: repeat {repeat + 1}", file=sys.stderr)
        for side in sides:
            _run(
                partial(
                    memory_and_reloads,
                    side,
                    args.memory_entries,
                    standin,
                    config_dir,
                    results,
                    NO_PROFILES,
                ),
                standin,
            )


def profile(
    args: argparse.Namespace,
    sides: Sequence[Side],
    standin: Standin,
    config_dir: Path,
    profiles: Profiles,
) -> None:
    """One profiled, unrecorded run of the phase asked for, per side."""
    entries = args.profile_entries
    print(f"profiling {args.profile}, N={entries}", file=sys.stderr)
    run = memory_and_reloads if args.profile == "reload" else setup_and_refresh
    for side in sides:
        _run(
            partial(run, side, entries, standin, config_dir, Results(), profiles),
            standin,
        )


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",")],
        default=list(SIZES),
        help="numbers of config entries, comma-separated (default: 1,50,500)",
    )
    parser.add_argument(
        "--memory-entries",
        type=int,
        default=MEMORY_ENTRIES,
        help="config entries in the memory run (default: %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats (a smoke test)"
    )
    parser.add_argument(
        "--entity-model",
        action="store_true",
        help="also measure the reference with the integration's entity model",
    )
    parser.add_argument(
        "--profile",
        choices=("setup", "restart", "refresh", "single", "reload"),
        help="instead of the table, profile this phase of each side with "
        "pyinstrument (one run each)",
    )
    parser.add_argument(
        "--profile-all",
        action="store_true",
        help="show every frame in the profiles (Home Assistant's and libraries')",
    )
    parser.add_argument(
        "--forecast",
        action="store_true",
        help="instead of the table, adaptive against fixed polling in simulated "
        "time (forecast_sim.py; also draws docs/images/forecast_steady.svg)",
    )
    parser.add_argument(
        "--profile-entries",
        type=int,
        default=500,
        help="config entries in the profiled runs (default: %(default)s)",
    )
    return parser.parse_args()


def main() -> None:
    """Run every measurement and print the table (or the profiles)."""
    args = parse_args()
    if args.forecast:
        # In a fresh interpreter: it makes Home Assistant's clock one that
        # freezegun can move before anything imports Home Assistant.
        script = str(BENCH_DIR / "forecast_sim.py")
        sys.exit(subprocess.call([sys.executable, script]))  # noqa: S603 - our own
    sides = [INTEGRATION, REFERENCE]
    if args.entity_model:
        sides.append(REFERENCE_ENTITIES)
    quiet_logging()
    results = Results()
    profiles = Profiles(args.profile, show_all=args.profile_all)
    started = time.monotonic()
    standin = Standin.start(max(*args.sizes, args.memory_entries, args.profile_entries))
    try:
        with tempfile.TemporaryDirectory(prefix="sms-credit-bench-") as tmp:
            config_dir = make_config_dir(Path(tmp))
            # Warm-up (not recorded): imports, byte-code, first-use caches.
            modules_before: set[str] = set()
            for side in sides:
                before = _run(
                    partial(
                        setup_and_refresh,
                        side,
                        1,
                        standin,
                        config_dir,
                        Results(),
                        NO_PROFILES,
                    ),
                    standin,
                )
                modules_before = modules_before or before
            if args.profile:
                profile(args, sides, standin, config_dir, profiles)
            else:
                measure(args, sides, standin, config_dir, results)
                print("import times", file=sys.stderr)
                measure_imports(
                    config_dir,
                    modules_before,
                    [INTEGRATION, REFERENCE],
                    results,
                    3 if args.quick else IMPORT_REPEATS,
                )
    finally:
        standin.stop()
    elapsed = time.monotonic() - started
    print("\n".join(environment()))
    if args.profile:
        for text in profiles.texts:
            print(f"\n{text}")
        return
    repeats = QUICK_REPEATS if args.quick else REPEATS
    counts = ", ".join(f"N={n}: {repeats.get(n, 3)}" for n in args.sizes)
    print(f"repeats: {counts}; memory: {1 if args.quick else MEMORY_REPEATS}")
    print()
    print("\n".join(table(results, figures(args.sizes, args.memory_entries), sides)))
    print()
    print(
        "median [min..max] over the runs; ratio: integration / reference; "
        f"goals judged against the reference; whole run {elapsed:.0f} s"
    )


if __name__ == "__main__":
    main()
