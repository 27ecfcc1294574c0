"""The stand-in provider, in a process of its own, for the benchmark.

Run by ``bench/run.py`` (never on its own): serves ``tests.standin`` on
127.0.0.1 on a free port, with ``--accounts`` SMSC logins ``bench0000`` …
and a per-minute limit high enough for the whole run, prints its base URL on
one line, and serves until its standard input closes.

Keeping it out of the benchmark's process keeps its CPU time out of the
figures: ``time.process_time`` there is Home Assistant's alone.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.standin import Account, StandinProvider

PASSWORD = "bench-password"  # noqa: S105 - a stand-in account's password
UNLIMITED = 10**9


def login(index: int) -> str:
    """Return the stand-in login of account number ``index``."""
    return f"bench{index:04d}"


async def serve(accounts: int) -> None:
    """Serve until standard input closes."""
    provider = StandinProvider()
    provider.smsc_max_per_minute = UNLIMITED
    for index in range(accounts):
        provider.smsc_accounts[login(index)] = Account(PASSWORD, currency="EUR")
    url = await provider.start("127.0.0.1", 0)
    print(url, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await provider.close()


def main() -> None:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, required=True)
    asyncio.run(serve(parser.parse_args().accounts))


if __name__ == "__main__":
    main()
