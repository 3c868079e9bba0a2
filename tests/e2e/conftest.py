"""End-to-end fixtures: the built plugin model in the emulated Studio, talking to a real companion."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin"))  # the `studio_bed` package

from studio_bed.net import Companion


@pytest.fixture
def companion(tmp_path: Path) -> Iterator[Companion]:
    """A real `dsm` companion server on a free port, served from a background thread."""
    with Companion(tmp_path / "dsm.sqlite3") as running:
        yield running
