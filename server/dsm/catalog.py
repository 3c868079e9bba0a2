"""The catalog the `hello` reply carries: what the plugin may offer, built from the server's own declarations
(the report registry in `dsm.reports.catalog`, the settings schema in `dsm.store.settings`)."""

from __future__ import annotations

from typing import Any

from dsm.reports import catalog as reports
from dsm.store import settings


def catalog() -> dict[str, Any]:
    """`{"reportTypes": [...], "settings": {section: {key: {...}}}, "settingSections": [...]}`, as
    shared/spec/protocol.md says (`settingSections` is the project's: section titles and their order)."""
    return {
        "reportTypes": reports.to_wire(),
        "settings": settings.catalog(),
        "settingSections": settings.sections(),
    }
