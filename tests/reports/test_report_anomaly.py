"""ANOMALY_DETECTION: injected spikes, error bursts, latency regressions and key sweeps are found in the
right window; a clean history yields none; thresholds come from the user's settings."""

from __future__ import annotations

import asyncio
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import report_synth as synth
from report_db import FIRST_DAY, store_events, stored_at

from dsm.reports.engine import generate_report
from dsm.store.connection import open_connection
from dsm.store.database import Database
from dsm.store.schema import companion_schema
from dsm.store.settings import update_job
from support import ManualClock, fact_values, section_rows

DAYS = 16
LAST = (FIRST_DAY + DAYS - 1) * synth.DAY  # the day examined (the default period is its 24 hours)
SPIKE, BURST, SLOW, SWEEP = LAST + 3 * 3600, LAST + 8 * 3600, LAST + 12 * 3600, LAST + 18 * 3600
DROP = LAST + 15 * 3600


def steady(seed: int, inject: bool) -> list[synth.Event]:
    """Round-the-clock activity (~60 events an hour), optionally with five injected anomalies."""
    rng = random.Random(seed)
    events: list[synth.Event] = []
    for d in range(DAYS):
        t, stop, seq = (FIRST_DAY + d) * synth.DAY, (FIRST_DAY + d + 1) * synth.DAY, 0
        while True:
            t += rng.expovariate(1 / 60)
            if t >= stop:
                break
            seq += 1
            eid, roll = f"day{d}-{seq}", rng.random()
            maker = synth.datastore_event if roll < 0.5 else synth.ui_event if roll < 0.85 else synth.other_event
            event = maker(rng, eid, round(t, 3))
            if inject and SLOW <= t < SLOW + 2 * 3600 and event["kind"] == "datastore":
                event["latencyMs"] *= 4
            if inject and DROP <= t < DROP + 3600 and seq % 8:
                continue  # the drop: only one event in eight is sent this hour
            events.append(event)
    if inject:
        events += [
            {"id": f"spike-{i}", "ts": SPIKE + i * 10.0, "kind": "ui", "name": "button_click"} for i in range(200)
        ]
        events += [
            {
                "id": f"burst-{i}",
                "ts": BURST + 600 + i * 5.0,
                "kind": "error",
                "name": "network_error",
                "errorCode": 500,
            }
            for i in range(40)
        ]
        events += [
            {
                "id": f"sweep-{i}",
                "ts": SWEEP + i * 0.5,
                "kind": "datastore",
                "name": "getData",
                "datastore": "PlayerData",
                "scope": "global",
                "key": f"player_{1000 + i}",
                "latencyMs": 50.0,
                "ok": True,
            }
            for i in range(80)
        ]
    return events


async def _build(path: Path) -> None:
    db = await Database.open(path, companion_schema(), ManualClock(stored_at(FIRST_DAY, DAYS)))
    await store_events(db, 1, steady(1, inject=False))
    await store_events(db, 2, steady(1, inject=True))
    await db.close()


@pytest.fixture(scope="module")
def anomaly_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("anomaly") / "dsm.sqlite3"
    asyncio.run(_build(path))
    return path


def _detect(path: Path, user: int, options: dict[str, Any] | None = None) -> dict[str, Any]:
    conn = open_connection(path, readonly=True)
    try:
        return generate_report(conn, user, "ANOMALY_DETECTION", options or {}, LAST + synth.DAY + 600).body
    finally:
        conn.close()


def test_a_clean_history_yields_no_anomalies(anomaly_db: Path) -> None:
    body = _detect(anomaly_db, 1)
    assert body["period"] == {"from": LAST, "to": LAST + synth.DAY}
    assert fact_values(section_rows(body, "baseline"))["hoursUsed"] == 14 * 24
    assert section_rows(body, "anomalies") == []
    assert next(m for m in body["metrics"] if m["name"] == "anomalies.total")["value"] == 0


def test_injected_anomalies_are_found_in_their_windows(anomaly_db: Path) -> None:
    found = section_rows(_detect(anomaly_db, 2), "anomalies")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for a in found:
        by_type.setdefault(a["type"], []).append(a | {"evidence": fact_values(a["facts"])})
    assert [(a["from"], a["to"]) for a in by_type["error_burst"]] == [(BURST, BURST + 3600)]
    assert by_type["error_burst"][0]["evidence"]["category:network_error (500)"] >= 40
    assert [(a["from"], a["to"]) for a in by_type["latency_regression"] if a["evidence"]["operation"] == "getData"] == [
        (SLOW, SLOW + 2 * 3600)
    ]
    sweep = by_type["key_sweep"]
    assert len(sweep) == 1 and sweep[0]["evidence"]["datastore"] == "PlayerData"
    assert sweep[0]["evidence"]["distinctKeys"] >= 80 and sweep[0]["to"] == SWEEP + 79 * 0.5
    assert SWEEP - 60 <= sweep[0]["from"] <= SWEEP + 25  # flagged once 50 distinct keys fall within 60 s
    spikes = {(a["from"], a["to"]) for a in by_type["activity_spike"]}
    assert (SPIKE, SPIKE + 3600) in spikes
    # Every spike is one of the injected hours (the burst and the sweep add events too); nothing else.
    assert spikes <= {(SPIKE, SPIKE + 3600), (BURST, BURST + 3600), (SWEEP, SWEEP + 3600)}
    assert set(by_type) == {"activity_spike", "activity_drop", "error_burst", "latency_regression", "key_sweep"}
    assert [(a["from"], a["to"]) for a in by_type["activity_drop"]] == [(DROP, DROP + 3600)]
    assert by_type["activity_drop"][0]["evidence"]["z"] <= -3.5
    spike = next(a for a in by_type["activity_spike"] if a["from"] == SPIKE)
    assert spike["severity"] == "high" and spike["evidence"]["peakValue"] >= 200


async def test_thresholds_come_from_the_users_settings(anomaly_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite3"
    await asyncio.to_thread(shutil.copy, anomaly_db, copy)
    db = await Database.open(copy, companion_schema(), ManualClock(stored_at(FIRST_DAY, DAYS)))
    await db.write(update_job(2, {"anomalyDetection": {"zThreshold": 1000, "sweepDistinctKeys": 100}}, db.clock()))
    await db.close()
    body = _detect(copy, 2)
    assert fact_values(section_rows(body, "method"))["zThreshold"] == 1000 and section_rows(body, "anomalies") == []


def test_too_short_a_baseline_is_reported_not_judged(anomaly_db: Path) -> None:
    body = _detect(anomaly_db, 2, {"from": LAST, "to": LAST + synth.DAY, "baselineHours": 10})
    assert fact_values(section_rows(body, "baseline"))["hoursUsed"] == 10
    assert "baseline hours" in body["insights"][0]
    assert {a["type"] for a in section_rows(body, "anomalies")} == {"key_sweep"}
