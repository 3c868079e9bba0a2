"""A 30-day seeded history for three users, stored once per session through the writer with rollups maintained."""

from __future__ import annotations

import asyncio

import pytest
import report_synth as synth
from report_db import DAYS, FIRST_DAY, USERS, History, build


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    path = tmp_path_factory.mktemp("history") / "dsm.sqlite3"
    events = {user: synth.history(2026, user, FIRST_DAY, DAYS) for user in USERS}
    asyncio.run(build(path, events))
    return History(path, events, FIRST_DAY, DAYS)
