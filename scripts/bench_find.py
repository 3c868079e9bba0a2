"""Find benchmark, in the real Luau VM (pluau) with the emulated Studio of tests/plugin and Studio's budgets.

Runs the Find tab's work (features/find/FindState over DataStoreManagerSlim, as the plugin wires it) in the bed:
finding a player's keys by UserId among 10,000 keys (the three common patterns read directly; again with listing
by prefix), and searching the values of 1,000 keys for a text. Prints, for each, the requests made per request
type, the time taken on the bed's virtual clock, the least time Studio's budgets allow for those requests (each type
starts full at its per-minute limit and refills continuously: `max(0, n - limit) * 60 / limit` seconds, the slowest
type deciding), and the ratio. Budgets are Studio's with no players (StandardRead 60, StandardList 5 a minute).

Usage: python scripts/bench_find.py [--keys 10000] [--search 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "plugin"))
sys.path.insert(0, str(ROOT / "tests"))  # the bed's renderer uses the tests' Chromium launcher

from studio_bed import PLUGIN_SRC, StudioBed  # noqa: E402

# Requests per minute with 0 players, per request type (Roblox's limits, as the bed emulates them).
PER_MINUTE = {"StandardRead": 60, "StandardList": 5}
# The request type each DataStore method spends.
REQUEST_TYPE = {
    "GetAsync": "StandardRead",
    "ListKeysAsync": "StandardList",
    "AdvanceToNextPageAsync": "StandardList",
}

SEED = """
for i = 1, {count} do
    local items = if i % 97 == 0 then {{ sword = {{ level = i }} }} else {{ shield = i }}
    TestBed.seedDataStore({store!r}, "Player_" .. i, {{ coins = i, inventory = items }})
end
return {count}
"""

RUN = """
local DataStoreManagerSlim = require(Plugin.core.data.DataStoreManagerSlim)
local FindState = require(Plugin.features.find.FindState)
local find = FindState.new(DataStoreManagerSlim.new())
local started = TestBed.now()
local ok = find:{method}({request})
local methods = {{}}
for _, call in TestBed.dataStoreCalls() do
    methods[call.method] = (methods[call.method] or 0) + 1
end
return ok, TestBed.now() - started, #find.hits, find.summary or (find.error and find.error.message), methods
"""


@dataclass
class Result:
    name: str
    requests: dict[str, int]
    taken: float
    least: float
    hits: int
    summary: str
    real: float

    @property
    def ratio(self) -> float:
        return self.taken / self.least if self.least > 0 else float("nan")


def least_time(requests: dict[str, int]) -> float:
    """The least virtual seconds Studio's budgets allow for these requests, made one after another."""
    return max(
        (max(0, count - PER_MINUTE[kind]) * 60 / PER_MINUTE[kind] for kind, count in requests.items()), default=0.0
    )


def run_case(name: str, store: str, keys: int, method: str, request: str) -> Result:
    with StudioBed(PLUGIN_SRC) as bed:
        bed.eval(SEED.format(count=keys, store=store), real_limit=600)
        started = time.perf_counter()
        ok, taken, hits, summary, methods = bed.eval(
            RUN.format(method=method, request=request), virtual_limit=7200, real_limit=1800
        )
        real = time.perf_counter() - started
    if not ok:
        raise SystemExit(f"{name}: the find failed: {summary}")
    requests: dict[str, int] = {}
    for called, count in (methods or {}).items():
        kind = REQUEST_TYPE.get(str(called))
        if kind is None:
            raise SystemExit(f"{name}: unexpected DataStore call {called}")
        requests[kind] = requests.get(kind, 0) + int(count)
    return Result(name, requests, float(taken), least_time(requests), int(hits), str(summary), real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=10_000, help="keys among which a player's are found")
    parser.add_argument("--search", type=int, default=1_000, help="keys whose values are searched")
    args = parser.parse_args()
    player = args.keys // 2 + 1
    cases = [
        run_case(
            f"player {player} among {args.keys:,} keys, 3 patterns read",
            "PlayerData",
            args.keys,
            "findPlayerAsync",
            f'{{ userId = "{player}", datastores = "PlayerData" }}',
        ),
        run_case(
            f"player {player} among {args.keys:,} keys, read + listed by prefix",
            "PlayerData",
            args.keys,
            "findPlayerAsync",
            f'{{ userId = "{player}", datastores = "PlayerData", listByPrefix = true }}',
        ),
        run_case(
            f"search values of {args.search:,} keys for a text",
            "Inventory",
            args.search,
            "searchValuesAsync",
            f'{{ datastore = "Inventory", mode = "text", text = "sword", maxKeys = "{args.search}" }}',
        ),
    ]
    print("Budgets (0 players): StandardRead 60/min, StandardList 5/min; times are the bed's virtual seconds.")
    for case in cases:
        made = ", ".join(f"{kind} {count}" for kind, count in sorted(case.requests.items()))
        ratio = "n/a (within the starting budget)" if case.least == 0 else f"{case.ratio:.3f}"
        print(f"- {case.name}")
        print(f"    requests: {made}; found {case.hits}: {case.summary}")
        print(
            f"    taken {case.taken:.1f} s, least the budget allows {case.least:.1f} s, ratio {ratio}"
            f" (real time {case.real:.1f} s)"
        )


if __name__ == "__main__":
    main()
