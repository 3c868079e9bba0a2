"""The settings store: per-user overrides on top of the product's defaults, validated field by field."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.errors import invalid
from dsm.store.codec import pack, unpack
from dsm.store.tables import Field, Merge, Portable, Row, TableSpec
from dsm.validate import as_object, is_number

Settings = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Spec:
    """One setting: its type (as `catalog.settings` names it), default, label and the rule a new value must meet."""

    default: Any
    type: str  # "boolean" | "integer" | "number" | "enum" | "string"
    label: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    # A string's further rule: the reason a value is refused, or None when it is fine.
    rule: Callable[[str], str | None] | None = None

    def check(self, value: Any, path: str) -> Any:
        if self.type == "string":
            return self._check_string(value, path)
        if self.type == "boolean":
            if not isinstance(value, bool):
                raise invalid(path, "expected a boolean")
            return value
        if self.type == "enum":
            if value not in self.choices:
                raise invalid(path, f"expected one of {', '.join(self.choices)}")
            return value
        if not is_number(value):
            raise invalid(path, "expected a number")
        if self.type == "integer":
            if value != int(value):
                raise invalid(path, "expected a whole number")
            value = int(value)
        if self.minimum is not None and value < self.minimum:
            raise invalid(path, f"must be at least {_number(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise invalid(path, f"must be at most {_number(self.maximum)}")
        return value

    def _check_string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise invalid(path, "expected text")
        if self.max_length is not None and len(value) > self.max_length:
            raise invalid(path, f"must be at most {self.max_length} characters")
        problem = self.rule(value) if self.rule else None
        if problem:
            raise invalid(path, problem)
        return value

    def to_wire(self, order: int) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "default": self.default, "order": order}
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.minimum is not None:
            out["min"] = self.minimum
        if self.maximum is not None:
            out["max"] = self.maximum
        if self.choices:
            out["choices"] = list(self.choices)
        return out | {"label": self.label}


def _number(value: float) -> str:
    """A bound as a user reads it in a message: 1000000, 0.5 (never 1e+06)."""
    return str(int(value)) if value == int(value) else repr(value)


def _flag(label: str) -> Spec:
    return Spec(True, "boolean", label)


def _webhook_url(value: str) -> str | None:
    """Empty turns webhooks off; anything else must be an absolute http(s) URL with a host."""
    if not value:
        return None
    scheme, sep, rest = value.partition("://")
    if (
        not sep
        or scheme.lower() not in ("http", "https")
        or not rest.split("/", 1)[0]
        or any(c.isspace() for c in value)
    ):
        return "expected an http:// or https:// URL (empty turns webhooks off)"
    return None


SCHEMA: dict[str, dict[str, Spec]] = {
    "analytics": {
        "enabled": _flag("Collect analytics"),
        "collectDetailedMetrics": _flag("Collect detailed performance metrics"),
        "generateDailyReports": _flag("Generate daily summary reports"),
        "retainDataDays": Spec(30, "integer", "Keep data for (days)", 1, 3650),
    },
    "dataStore": {
        "cacheTimeout": Spec(300, "number", "Cache expiry (seconds)", 0, 7 * 86400),
        "enablePersistentCache": _flag("Keep a persistent cache in the companion"),
        "autoBackup": _flag("Back up settings and data automatically"),
        "readOnly": Spec(False, "boolean", "Read-only mode (no DataStore edits)"),
    },
    "reporting": {
        "autoGenerateReports": _flag("Generate reports automatically"),
        "reportFrequency": Spec("daily", "enum", "Report frequency", choices=("hourly", "daily", "weekly")),
        "includePerformanceMetrics": _flag("Include performance metrics in reports"),
        "includeUsageAnalytics": _flag("Include usage analytics in reports"),
    },
    "anomalyDetection": {
        "zThreshold": Spec(3.5, "number", "Anomaly threshold (robust z-score)", 0.5, 100),
        "minBaselineHours": Spec(24, "integer", "Minimum baseline (active hours)", 1, 24 * 365),
        "errorBurstThreshold": Spec(10, "integer", "Errors in an hour that make a burst", 1, 1_000_000),
        "sweepDistinctKeys": Spec(50, "integer", "Distinct keys that make a key sweep", 2, 1_000_000),
        "sweepWindowSeconds": Spec(60, "number", "Key sweep window (seconds)", 1, 86400),
        "latencyRegressionRatio": Spec(1.5, "number", "Latency regression ratio (x baseline)", 1, 1000),
    },
    "notifications": {
        "webhookUrl": Spec("", "string", "Webhook URL (empty: off)", max_length=2000, rule=_webhook_url),
        "webhookFormat": Spec("discord", "enum", "Webhook format", choices=("discord", "slack", "json")),
        "notifyAnomalies": _flag("Notify when an anomaly is found"),
        "notifyDailySummary": _flag("Send each daily summary"),
    },
    "ui": {
        "showAnalyticsDashboard": _flag("Show the analytics dashboard"),
        "showPerformanceIndicators": _flag("Show live performance indicators"),
        "enableNotifications": _flag("Show notifications"),
    },
}


# What a settings view calls each section, in the order it shows them (SCHEMA's order).
SECTION_TITLES: dict[str, str] = {
    "analytics": "Analytics",
    "dataStore": "DataStores and cache",
    "reporting": "Reports",
    "anomalyDetection": "Anomaly detection",
    "notifications": "Notifications (webhooks)",
    "ui": "Studio widget",
}


def catalog() -> dict[str, dict[str, dict[str, Any]]]:
    """`catalog.settings` of the `hello` reply: every setting with its type, default, range or choices, label and
    `order` (its place in its section)."""
    return {
        section: {key: spec.to_wire(order) for order, (key, spec) in enumerate(keys.items())}
        for section, keys in SCHEMA.items()
    }


def sections() -> list[dict[str, str]]:
    """`catalog.settingSections`: each section's name and title, in the order a settings view shows them."""
    return [{"name": section, "title": SECTION_TITLES[section]} for section in SCHEMA]


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


def load(conn: sqlite3.Connection, user_id: int) -> SettingsState:
    """A user's settings (the defaults under their overrides): the one way every part of the companion reads them,
    on a read connection (`Database.read`) or inside a job."""
    row = conn.execute("SELECT body, updated_at FROM settings WHERE user_id = ?", (user_id,)).fetchone()
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


def _check_imported(row: Row, path: str) -> None:
    check_overrides(unpack(row[0]), f"{path}.overridesB64")


TABLE = TableSpec(
    "settings",
    store="settings",
    portable=Portable(
        "settings",
        (Field("overridesB64", "body", "blob"), Field("updatedAt", "updated_at", "time")),
        Merge("newer", by="updated_at"),
        single=True,
        check=_check_imported,
    ),
)
TABLES = (TABLE,)
