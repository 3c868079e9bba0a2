"""Hostile frames at every op (tests/hostile_frames.py): wrong types, numbers past 64 bits or the timestamp
window, deep values, bad UTF-8, unknown ops and fields, handshakes out of order. Each gets the reply the contract
promises (never `internal`), the connection stays open, and the database does not change.

Bounded and derandomized so the suite stays fast and CI deterministic; scripts/fuzz_link.py is the long run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsm.link.client import LinkClient
from dsm.link.ops import OPS
from hostile_frames import (
    HELLO,
    SHAPES,
    Probe,
    handshakes,
    second_hello,
    unknown_field,
    unknown_op,
    unreadable,
    wrong_value,
)
from hostile_frames import Field as BodyField
from hostile_frames import Shape as BodyShape
from hostile_frames import encode as encode_frame
from support import RunningServer, fingerprint


def bounded(examples: int) -> settings:
    # One server serves all examples of a test (the health check would object to the function-scoped fixture).
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture
async def greeted(server: RunningServer) -> AsyncIterator[LinkClient]:
    client = await LinkClient.connect(server.ws_url)
    await client.hello(7, session_id="FUZZ")
    yield client
    await client.close()


async def exchange(client: LinkClient, probe: Probe) -> dict[str, Any]:
    """Send the probe's frame and return its reply (replies with `re: null` are matched by arrival)."""
    waiting = client.expect(probe.request_id) if probe.request_id is not None else None
    await client.send_frame(probe.frame, binary=probe.binary)
    reply = await asyncio.wait_for(waiting if waiting is not None else client.unmatched.get(), 30)
    assert not client.ws.closed, f"connection closed after {probe.what}"
    return reply


async def answered_and_nothing_changed(client: LinkClient, probe: Probe, db_path: Path) -> None:
    before = fingerprint(db_path)
    reply = await exchange(client, probe)
    assert probe.check(reply) is None, f"{probe.what}: {probe.check(reply)}; reply {reply}"
    assert fingerprint(db_path) == before, f"{probe.what} changed the database"


def _field_probe(shape: BodyShape, spec: BodyField, value: Any, binary: bool, n: int) -> Probe:
    from hostile_frames import _put

    rid = f"f{n}"
    frame = encode_frame({"id": rid, "op": shape.op, "body": _put(shape.body, spec.path, value)}, binary)
    return Probe(frame, binary, rid, "invalid_body", spec.where, f"{shape.op} {spec.where}={value!r:.80}")


@bounded(6)
@given(data=st.data(), binary=st.booleans())
async def test_every_field_of_every_op_refuses_a_wrong_value_naming_it(greeted, db_path, data, binary):
    assert {shape.op for shape in SHAPES} == set(OPS)  # a new op needs its shape in hostile_frames.py
    fields = [(shape, spec) for shape in SHAPES for spec in shape.fields]
    assert fields
    for n, (shape, spec) in enumerate(fields):
        value = data.draw(wrong_value(spec, binary), label=f"{shape.op} {spec.where}")
        await answered_and_nothing_changed(greeted, _field_probe(shape, spec, value, binary, n), db_path)


@bounded(4)
@given(data=st.data(), binary=st.booleans())
async def test_every_hello_field_refuses_a_wrong_value_naming_it(server, db_path, data, binary):
    assert HELLO.fields
    for n, spec in enumerate(HELLO.fields):
        client = await LinkClient.connect(server.ws_url)
        try:
            value = data.draw(wrong_value(spec, binary), label=f"hello {spec.where}")
            await answered_and_nothing_changed(client, _field_probe(HELLO, spec, value, binary, n), db_path)
        finally:
            await client.close()


@bounded(60)
@given(probe=unknown_field())
async def test_an_unknown_field_is_refused_naming_it(greeted, db_path, probe):
    await answered_and_nothing_changed(greeted, probe, db_path)


@bounded(120)
@given(probe=unreadable())
async def test_unreadable_frames_get_bad_frame_and_the_connection_stays_open(greeted, db_path, probe):
    await answered_and_nothing_changed(greeted, probe, db_path)


@bounded(40)
@given(probe=st.one_of(unknown_op(), second_hello()))
async def test_unknown_ops_and_a_second_hello_are_refused(greeted, db_path, probe):
    await answered_and_nothing_changed(greeted, probe, db_path)


@bounded(40)
@given(session=handshakes())
async def test_handshakes_out_of_order_get_hello_required_or_name_the_field(server, db_path, session):
    client = await LinkClient.connect(server.ws_url)
    try:
        assert session.probes
        for probe in session.probes:
            await answered_and_nothing_changed(client, probe, db_path)
        await client.hello(8)  # still a usable connection: a valid hello now succeeds
    finally:
        await client.close()
