"""Seeded synthetic histories for the report tests, and independent answers computed from the raw events.

Nothing here uses the server's code: the expected figures are recomputed from the generated event
dicts so a report and its test cannot share a bug.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

DAY = 86400
HOUR = 3600
OPS = (("getData", 0.6), ("listKeys", 0.2), ("listDataStores", 0.1), ("listVersions", 0.1))
DATASTORES = ("PlayerData", "Inventory", "GameSettings")
FEATURES = ("explorer", "editor", "search", "analytics")
VIEWS = ("Explorer", "Editor", "Analytics", "Settings")
QUERIES = ("player_1", "coins", "inventory", "level", "player_2")
FAIL_CODES = (301, 302, 101, 501, 306)
LONG_KEY = "player_" + "x" * 40  # 47 characters: near Roblox's 50-character limit

Event = dict[str, Any]


def datastore_event(rng: random.Random, eid: str, ts: float) -> Event:
    op = rng.choices([o for o, _ in OPS], [w for _, w in OPS])[0]
    ok = rng.random() > 0.06
    event: Event = {"id": eid, "ts": ts, "kind": "datastore", "name": op, "ok": ok}
    event["latencyMs"] = round(rng.lognormvariate(math.log(60), 0.6), 3)
    if op != "listDataStores":
        event["datastore"] = rng.choice(DATASTORES)
        event["scope"] = "global"
    if op in ("getData", "listVersions"):
        event["key"] = LONG_KEY if rng.random() < 0.01 else f"player_{rng.randint(1, 40)}"
        if rng.random() < 0.1:
            event["key"] = f"config_{rng.randint(1, 3)}"
        if ok and op == "getData":
            event["size"] = rng.randint(100, 60_000)
    if not ok:
        event["errorCode"] = rng.choice(FAIL_CODES)
    return event


def ui_event(rng: random.Random, eid: str, ts: float) -> Event:
    name = rng.choices(["view_change", "button_click", "search_query", "data_refresh"], [3, 4, 1, 1])[0]
    event: Event = {"id": eid, "ts": ts, "kind": "ui", "name": name}
    if name == "view_change":
        event["view"] = rng.choice(VIEWS)
    elif name == "search_query":
        event["feature"] = "search"
        event["props"] = {"query": rng.choice(QUERIES)}
    else:
        event["feature"] = rng.choice(FEATURES)
    return event


def other_event(rng: random.Random, eid: str, ts: float) -> Event:
    if rng.random() < 0.5:
        return {"id": eid, "ts": ts, "kind": "perf", "name": "render", "latencyMs": round(rng.uniform(1, 30), 2)}
    event: Event = {"id": eid, "ts": ts, "kind": "error", "name": rng.choice(["network_error", "decode_error"])}
    if rng.random() < 0.5:
        event["errorCode"] = rng.choice((500, 502))
    return event


def history(seed: int, user: int, first_day: int, days: int = 30, gap: float = 60.0) -> list[Event]:
    """`days` UTC days of sessions for one user: 1-3 sessions a day of 15-90 minutes, an event every ~`gap`s."""
    rng = random.Random(seed * 7919 + user)
    events: list[Event] = []
    for d in range(days):
        day = (first_day + d) * DAY
        for s in range(rng.randint(1, 3)):
            session = f"u{user}d{d}s{s}"
            t = day + rng.uniform(0, 22 * HOUR)
            stop = t + rng.uniform(900, 5400)
            seq = 0
            while t < stop:
                seq += 1
                eid = f"{session}-{seq}"
                roll = rng.random()
                if roll < 0.5:
                    events.append(datastore_event(rng, eid, round(t, 3)))
                elif roll < 0.85:
                    events.append(ui_event(rng, eid, round(t, 3)))
                else:
                    events.append(other_event(rng, eid, round(t, 3)))
                t += rng.expovariate(1 / gap)
    return events


# ---- independent answers ---------------------------------------------------------------------------


def within(events: list[Event], start: float, end: float) -> list[Event]:
    return [e for e in events if start <= e["ts"] < end]


def session_of(event: Event) -> str:
    return event["id"].rpartition("-")[0]


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]


def by_kind(events: list[Event]) -> Counter[str]:
    return Counter(e["kind"] for e in events)


def sessions(events: list[Event]) -> dict[str, tuple[int, float, float]]:
    out: dict[str, list[Any]] = {}
    for e in events:
        slot = out.setdefault(session_of(e), [0, e["ts"], e["ts"]])
        slot[0] += 1
        slot[1] = min(slot[1], e["ts"])
        slot[2] = max(slot[2], e["ts"])
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def errors(events: list[Event]) -> Counter[tuple[str, int | None]]:
    out: Counter[tuple[str, int | None]] = Counter()
    for e in events:
        if e["kind"] == "error":
            out[(e["name"], e.get("errorCode"))] += 1
        elif e["kind"] == "datastore" and e.get("ok") is False:
            out[(f"{e['name']} failed", e.get("errorCode"))] += 1
    return out


def op_stats(events: list[Event]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for e in events:
        if e["kind"] != "datastore":
            continue
        slot = out.setdefault(e["name"], {"count": 0, "successes": 0, "failures": 0, "latencies": []})
        slot["count"] += 1
        slot["successes" if e.get("ok") else "failures"] += 1
        slot["latencies"].append(e["latencyMs"])
    return out


def top(counter: Counter[Any], n: int) -> list[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]


def feature_counts(events: list[Event]) -> Counter[str]:
    return Counter(e["feature"] for e in events if e["kind"] == "ui" and e.get("feature"))


def key_reads(events: list[Event]) -> Counter[tuple[str, str, str]]:
    return Counter(
        (e["datastore"], e.get("scope") or "", e["key"]) for e in events if e["kind"] == "datastore" and e.get("key")
    )


def datastore_reads(events: list[Event]) -> Counter[str]:
    return Counter(e["datastore"] for e in events if e["kind"] == "datastore" and e.get("datastore"))
