"""The settings store: per-user overrides on top of the product's defaults, validated field by field."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.errors import invalid
from dsm.store.codec import pack, unpack
from dsm.validate import as_object, is_number

Settings = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Spec:
    """One setting: its default and the rule a new value must meet."""

    default: Any
    kind: str  # "bool" | "int" | "number" | "choice"
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[str, ...] = ()

    def check(self, value: Any, path: str) -> Any:
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise invalid(path, "expected a boolean")
            return value
        if self.kind == "choice":
            if value not in self.options:
                raise invalid(path, f"expected one of {', '.join(self.options)}")
            return value
        if not is_number(value):
            raise invalid(path, "expected a number")
        if self.kind == "int":
            if value != int(value):
                raise invalid(path, "expected a whole number")
            value = int(value)
        if self.minimum is not None and value < self.minimum:
            raise invalid(path, f"must be at least {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise invalid(path, f"must be at most {self.maximum:g}")
        return value


SCHEMA: dict[str, dict[str, Spec]] = {
    "analytics": {
        "enabled": Spec(True, "bool"),
        "collectDetailedMetrics": Spec(True, "bool"),
        "generateDailyReports": Spec(True, "bool"),
        "retainDataDays": Spec(30, "int", 1, 3650),
    },
    "dataStore": {
        "cacheTimeout": Spec(300, "number", 0, 7 * 86400),
        "enablePersistentCache": Spec(True, "bool"),
        "autoBackup": Spec(True, "bool"),
    },
    "reporting": {
        "autoGenerateReports": Spec(True, "bool"),
        "reportFrequency": Spec("daily", "choice", options=("hourly", "daily", "weekly")),
        "includePerformanceMetrics": Spec(True, "bool"),
        "includeUsageAnalytics": Spec(True, "bool"),
    },
    "anomalyDetection": {
        "zThreshold": Spec(3.5, "number", 0.5, 100),
        "minBaselineHours": Spec(24, "int", 1, 24 * 365),
        "errorBurstThreshold": Spec(10, "int", 1, 1_000_000),
        "sweepDistinctKeys": Spec(50, "int", 2, 1_000_000),
        "sweepWindowSeconds": Spec(60, "number", 1, 86400),
        "latencyRegressionRatio": Spec(1.5, "number", 1, 1000),
    },
    "ui": {
        "showAnalyticsDashboard": Spec(True, "bool"),
        "showPerformanceIndicators": Spec(True, "bool"),
        "enableNotifications": Spec(True, "bool"),
    },
}


def defaults() -> Settings:
    return {section: {key: spec.default for key, spec in keys.items()} for section, keys in SCHEMA.items()}


def validate_patch(raw: Any) -> Settings:
    """Check every field of a patch; the first problem raises `invalid_body` and nothing is applied."""
    patch = as_object(raw, "patch")
    clean: Settings = {}
    for section, values in patch.items():
        specs = SCHEMA.get(section)
        if specs is None:
            raise invalid(f"patch.{section}", f"unknown settings section (known: {', '.join(SCHEMA)})")
        for key, value in as_object(values, f"patch.{section}").items():
            spec = specs.get(key)
            if spec is None:
                raise invalid(f"patch.{section}.{key}", f"unknown setting (known: {', '.join(specs)})")
            clean.setdefault(section, {})[key] = spec.check(value, f"patch.{section}.{key}")
    return clean


def check_overrides(raw: Any, path: str) -> None:
    """Stored overrides from elsewhere (an import): every section an object, every known setting a valid value.
    Unknown sections and keys pass: reading drops them (`_effective`), as it does for settings since removed."""
    for section, values in as_object(raw, path).items():
        specs = SCHEMA.get(section, {})
        for key, value in as_object(values, f"{path}.{section}").items():
            if key in specs:
                specs[key].check(value, f"{path}.{section}.{key}")


def merge(base: Settings, patch: Settings) -> Settings:
    merged = copy.deepcopy(base)
    for section, values in patch.items():
        merged.setdefault(section, {}).update(values)
    return merged


@dataclass(frozen=True)
class SettingsState:
    settings: Settings
    updated_at: float

    def to_wire(self) -> dict[str, Any]:
        return {"settings": self.settings, "updatedAt": self.updated_at}


def _effective(overrides: Settings) -> Settings:
    # Overrides for settings that no longer exist are dropped rather than served.
    clean = {s: {k: v for k, v in vals.items() if k in SCHEMA.get(s, {})} for s, vals in overrides.items()}
    return merge(defaults(), clean)


SELECT_SQL = "SELECT body, updated_at FROM settings WHERE user_id = ?"


def read_state(conn: sqlite3.Connection, user_id: int) -> SettingsState:
    return state_from_row(conn.execute(SELECT_SQL, (user_id,)).fetchone())


def state_from_row(row: tuple[Any, ...] | None) -> SettingsState:
    if row is None:
        return SettingsState(defaults(), 0.0)
    return SettingsState(_effective(unpack(row[0])), row[1])


def update_job(user_id: int, patch: Settings, stamp: float) -> Callable[[sqlite3.Connection], SettingsState]:
    def job(conn: sqlite3.Connection) -> SettingsState:
        row = conn.execute("SELECT body FROM settings WHERE user_id = ?", (user_id,)).fetchone()
        overrides = merge(unpack(row[0]) if row else {}, patch)
        conn.execute(
            "INSERT INTO settings (user_id, body, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            (user_id, pack(overrides), stamp),
        )
        return SettingsState(_effective(overrides), stamp)

    return job
