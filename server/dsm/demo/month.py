"""A month of one Studio user's plugin activity, made up but shaped like the real thing: the events, edits and
cache use the plugin sends (`plugin/src`: DataStoreManagerSlim, ExplorerState, PluginAnalyticsService), sessions
on most days, read latencies with a long tail, failures with Roblox's error codes, one throttling episode three
days before the end and one anomaly (a key sweep with an error burst) five hours before it.

Pure and deterministic: the same seed and end time give the same month."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

DAY = 86400.0
HOUR = 3600.0
DAYS = 30
THROTTLE_DAYS_BEFORE = 3  # inside PERFORMANCE_ANALYSIS's default period (the last 7 full days)
ANOMALY_HOURS_BEFORE = 5  # inside ANOMALY_DETECTION's default period (the last 24 full hours)
SWEEP_KEYS = 120  # distinct keys read in under a minute: over the default sweep threshold (50 in 60 s)
BURST_ERRORS = 30  # failed reads in the anomaly's hour: over the default error-burst threshold (10)

Event = dict[str, Any]

# Median read latency (ms) per operation; spread is log-normal with a slow tail.
MEDIAN_MS = {"listDataStores": 140.0, "listKeys": 110.0, "getData": 65.0, "listVersions": 95.0, "getVersion": 80.0}
WRITE_MEDIAN_MS = 120.0

# (code, message) of Roblox DataStore failures a Studio user meets.
FAILURES = (
    (502, "502: API Services rejected request with error. HTTP 500 (Internal Server Error)"),
    (501, "501: Can't parse response, data may be corrupted."),
    (504, "504: Datastore Request successful, but the response was not formatted correctly."),
)
THROTTLED = (301, "301: GetAsync request dropped. Request was throttled, but throttled request queue was full.")


@dataclass(frozen=True)
class Store:
    name: str
    keys: tuple[str, ...]
    size: tuple[int, int]  # value size range in bytes


def _stores(rng: random.Random) -> tuple[Store, ...]:
    players = tuple(f"Player_{rng.randrange(10**8, 5 * 10**9)}" for _ in range(400))
    return (
        Store("PlayerData", players, (900, 9_000)),
        Store("Inventory", tuple(k.replace("Player_", "inv_") for k in players[:250]), (400, 32_000)),
        Store("Leaderboard_Season3", ("top100", "weekly", "daily", "friends_cache"), (8_000, 40_000)),
        Store("GameConfig", ("config", "shop_rotation", "events_calendar", "feature_flags"), (2_000, 180_000)),
        Store("Moderation", tuple(f"ban_{rng.randrange(10**8, 5 * 10**9)}" for _ in range(30)), (200, 1_200)),
    )


@dataclass
class Edit:
    """One journaled write; `undoes` is the index (in the session's edits) of the edit it reverts."""

    body: dict[str, Any]
    undoes: int | None = None


@dataclass
class Session:
    """One Studio session with the plugin open: its hello fields and everything it sent, oldest first."""

    session_id: str
    place_id: int
    start: float
    events: list[Event] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    reads: list[tuple[str, str]] = field(default_factory=list)  # (datastore, key) of values read: the cache use


class Recorder:
    """Builds one session's events the way the plugin's trackers do (ids `<session>-<seq>`, time moving on)."""

    def __init__(self, rng: random.Random, session: Session, stores: tuple[Store, ...], slow: float = 1.0) -> None:
        self.rng, self.session, self.stores, self.slow = rng, session, stores, slow
        self.t = session.start
        self.seq = 0

    def emit(self, kind: str, name: str, **fields: Any) -> None:
        self.seq += 1
        event = {"id": f"{self.session.session_id}-{self.seq}", "ts": round(self.t, 3), "kind": kind, "name": name}
        event.update({k: v for k, v in fields.items() if v is not None})
        self.session.events.append(event)

    def wait(self, low: float, high: float) -> None:
        self.t += self.rng.uniform(low, high)

    def ui(self, name: str, feature: str, view: str | None = None, props: dict[str, Any] | None = None) -> None:
        self.emit("ui", name, feature=feature, view=view, props=props)

    def latency(self, op: str) -> float:
        median = MEDIAN_MS.get(op, WRITE_MEDIAN_MS) * self.slow
        value = median * math.exp(self.rng.gauss(0.0, 0.45))
        if self.rng.random() < 0.03:  # Roblox's slow tail: a few calls take several times the usual
            value *= self.rng.uniform(4.0, 12.0)
        return round(value, 1)

    def call(
        self,
        op: str,
        datastore: str | None = None,
        key: str | None = None,
        size: int | None = None,
        failure: tuple[int, str] | None = None,
        waited_ms: float | None = None,
    ) -> None:
        """A DataStore call as DataStoreManagerSlim tracks it: a `datastore` event, an `<op>_live` perf sample
        and, when it failed, an `error` event with Roblox's code."""
        latency = self.latency(op)
        props = {"budgetWaitMs": waited_ms} if waited_ms else None
        where = {"datastore": datastore, "scope": "global" if datastore else None, "key": key}
        ok = failure is None
        self.emit("datastore", op, **where, latencyMs=latency, ok=ok, size=size if ok else None, props=props)
        self.emit("perf", f"{op}_live", latencyMs=latency, ok=ok, props=props)
        if failure is not None:
            code, message = failure
            self.emit("error", "datastore_error", **where, message=message, ok=False, errorCode=code, feature=op)
        self.t += latency / 1000.0

    def failure(self, rate: float) -> tuple[int, str] | None:
        return self.rng.choice(FAILURES) if self.rng.random() < rate else None

    def read_value(self, store: Store, key: str, failure_rate: float = 0.015) -> None:
        self.ui("view_change", "DataExplorer", "value", {"datastore": store.name})
        failure = self.failure(failure_rate)
        self.call("getData", store.name, key, self.rng.randint(*store.size), failure)
        if failure is None:
            self.session.reads.append((store.name, key))


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def _browse(rec: Recorder, minutes: float) -> None:
    """Ordinary use: open the explorer, list DataStores and keys, read values, search, look at versions."""
    rng, stores = rec.rng, rec.stores
    end = rec.t + minutes * 60
    rec.ui("widget_open", "Widget")
    rec.ui("view_change", "Navigation", "Explorer")
    rec.ui("data_refresh", "DataExplorer", "datastores")
    rec.call("listDataStores", size=None, failure=rec.failure(0.01))
    while rec.t < end:
        store = rng.choices(stores, weights=(6, 3, 1, 2, 1))[0]
        rec.wait(3, 25)
        rec.ui("view_change", "DataExplorer", "keys", {"datastore": store.name})
        rec.call("listKeys", store.name, failure=rec.failure(0.01))
        if rng.random() < 0.3:
            prefix = store.keys[0][: rng.randint(3, 7)]
            rec.ui("search_query", "DataExplorer", "keys", {"length": len(prefix)})
            rec.call("listKeys", store.name, failure=rec.failure(0.01))
        for _ in range(rng.randint(1, 6)):
            rec.wait(4, 40)
            rec.read_value(store, rng.choice(store.keys))
        if rng.random() < 0.2:
            key = rng.choice(store.keys)
            rec.call("listVersions", store.name, key, failure=rec.failure(0.01))
            rec.call("getVersion", store.name, key, rng.randint(*store.size), rec.failure(0.01))
        if rng.random() < 0.08:
            rec.ui("view_change", "Navigation", "Reports")
            rec.ui("button_click", "Reports", "reports", {"action": "generate", "type": "PERFORMANCE_ANALYSIS"})
            rec.ui("view_change", "Navigation", "Explorer")
        if rng.random() < 0.05:
            rec.ui("view_change", "Navigation", "Live")
            rec.wait(30, 120)
            rec.ui("view_change", "Navigation", "Explorer")
    if rng.random() < 0.1:
        rec.ui("view_change", "Navigation", "Settings")
        rec.ui("settings_change", "settings", None, {"section": "dataStore", "key": "cacheTimeout"})
    rec.ui("widget_close", "Widget")


def _edit(rec: Recorder, store: Store, key: str, op: str, ok: bool = True, undoes: int | None = None) -> None:
    """A write as DataStoreManagerSlim makes it: the call's events, then its `edits.record`."""
    rng = rec.rng
    coins = rng.randint(0, 50_000)
    before = {"coins": coins, "level": rng.randint(1, 80), "inventory": ["sword", "shield"]}
    after = None if op == "remove" else {**before, "coins": coins + rng.choice((500, 1000, -250))}
    failure = None if ok else (105, "105: Serialized value exceeds 4MB limit.")
    rec.wait(10, 60)
    rec.ui("button_click", "DataExplorer", "value", {"action": "save" if op != "remove" else "remove"})
    rec.call("removeData" if op == "remove" else "setData", store.name, key, failure=failure)
    body: dict[str, Any] = {"ts": round(rec.t, 3), "datastore": store.name, "scope": "global", "key": key}
    body.update({"op": op, "ok": ok, "before": before})
    if ok:
        if after is not None:
            body["after"] = after
        body["version"] = f"08DC{rng.getrandbits(48):012X}.0000000{rng.randint(1, 9)}.08DC.0"
    else:
        body.update({"errorCode": failure[0], "message": failure[1]} if failure else {})
    rec.session.edits.append(Edit(body, undoes))


def _edits(rec: Recorder) -> None:
    """A few fixes to player data, now and then a failed save, a removal, and an undo of the first fix."""
    rng = rec.rng
    player = rec.stores[0]
    first = len(rec.session.edits)
    for _ in range(rng.randint(1, 3)):
        _edit(rec, player, rng.choice(player.keys), rng.choice(("set", "update")))
    if rng.random() < 0.3:
        _edit(rec, player, rng.choice(player.keys), "set", ok=False)
    if rng.random() < 0.3:
        _edit(rec, rec.stores[4], rng.choice(rec.stores[4].keys), "remove")
    if rng.random() < 0.25:
        undone = rec.session.edits[first].body
        _edit(rec, player, undone["key"], "restore", undoes=first)


def _throttled(rec: Recorder) -> None:
    """Bulk browsing past the request budget: the plugin waits for budget, then Roblox drops reads (301)."""
    player = rec.stores[0]
    rec.ui("view_change", "DataExplorer", "keys", {"datastore": player.name})
    rec.call("listKeys", player.name)
    for i in range(60):
        rec.wait(0.2, 0.6)
        waited = round(rec.rng.uniform(200, 2500), 1) if i >= 20 else None
        failure = THROTTLED if i >= 35 and i % 2 == 0 else None
        rec.ui("view_change", "DataExplorer", "value", {"datastore": player.name})
        rec.call("getData", player.name, player.keys[i], rec.rng.randint(*player.size), failure, waited)
        if i >= 45 and i % 3 == 0:
            rec.emit("error", "budget_exhausted", message="DataStore request budget exhausted; try again shortly.")


def _anomaly(rec: Recorder) -> None:
    """A script-like sweep over many keys in under a minute, slow and failing: activity spike, error burst,
    key sweep and a latency regression in one hour."""
    inventory = rec.stores[1]
    rec.ui("view_change", "DataExplorer", "keys", {"datastore": inventory.name})
    rec.call("listKeys", inventory.name)
    for i in range(SWEEP_KEYS):
        rec.t += 0.3
        failure = rec.rng.choice(FAILURES) if i % 4 == 0 else None
        rec.call("getData", inventory.name, inventory.keys[i], rec.rng.randint(*inventory.size), failure)
    for i in range(max(0, BURST_ERRORS - SWEEP_KEYS // 4)):
        rec.wait(20, 60)
        rec.call("getData", inventory.name, inventory.keys[i], failure=FAILURES[0])


def month(seed: int, end: float, days: int = DAYS) -> list[Session]:
    """Sessions of the `days` days up to `end` (Unix seconds), oldest first; every event lies before `end`."""
    rng = random.Random(seed)
    stores = _stores(rng)
    place_id = rng.randrange(10**9, 2 * 10**10)
    sessions: list[Session] = []
    day0 = math.floor(end / DAY) * DAY - days * DAY
    throttle_day = math.floor(end / DAY) * DAY - THROTTLE_DAYS_BEFORE * DAY
    anomaly_at = math.floor(end / HOUR) * HOUR - ANOMALY_HOURS_BEFORE * HOUR
    for d in range(days + 1):
        day = day0 + d * DAY
        weekend = (int(day // DAY) + 4) % 7 >= 5  # 1970-01-01 was a Thursday
        count = rng.choice((1, 1, 2)) if weekend else rng.choice((2, 3, 3, 4))
        for start_hour in sorted(rng.sample(range(8, 22), count)):
            start = day + start_hour * HOUR + rng.uniform(0, 40 * 60)
            minutes = rng.uniform(15, 55)
            if start + (minutes + 30) * 60 >= anomaly_at - HOUR and start < anomaly_at + 2 * HOUR:
                continue  # keeps the anomaly's hours to the anomaly session
            if start + (minutes + 30) * 60 >= end:
                continue
            session = Session(_guid(rng), place_id, start)
            rec = Recorder(rng, session, stores)
            _browse(rec, minutes)
            if rng.random() < 0.5:
                _edits(rec)
            if day == throttle_day and not any(s.start >= throttle_day for s in sessions):
                _throttled(rec)
            sessions.append(session)
    sessions.append(_anomaly_session(rng, stores, place_id, anomaly_at))
    sessions.sort(key=lambda s: s.start)
    return sessions


def _anomaly_session(rng: random.Random, stores: tuple[Store, ...], place_id: int, at: float) -> Session:
    session = Session(_guid(rng), place_id, at + 5 * 60)
    rec = Recorder(rng, session, stores, slow=4.0)
    rec.ui("widget_open", "Widget")
    rec.ui("view_change", "Navigation", "Explorer")
    _anomaly(rec)
    rec.ui("widget_close", "Widget")
    return session
