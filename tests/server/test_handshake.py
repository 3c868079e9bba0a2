"""The handshake and the envelope: hello first, protocol, token, frames and their errors."""

from __future__ import annotations

import asyncio
import json

import msgpack
import pytest

from dsm.link.client import LinkClient, LinkError


async def test_hello_reply_carries_protocol_limits_and_default_settings(connect):
    client = await connect(None)
    body = await client.hello(5)
    assert body["protocol"] == 1
    assert body["server"]["version"]
    assert isinstance(body["session"], str) and body["session"]
    assert body["limits"] == {"maxFrameBytes": 20 * 1024 * 1024, "maxBatch": 1000, "maxInFlight": 32}
    assert body["settings"]["analytics"]["retainDataDays"] == 30
    assert body["settings"]["reporting"]["reportFrequency"] == "daily"


async def test_any_op_before_hello_gets_hello_required(connect):
    client = await connect(None)
    reply = await client.request("settings.get")
    assert reply["ok"] is False
    assert reply["error"]["code"] == "hello_required"
    assert reply["error"]["retry"] is False
    await client.hello(1)  # the connection stays usable
    assert (await client.call("settings.get"))["settings"]


async def test_unknown_protocol_gets_protocol_mismatch_with_supported_list(connect):
    client = await connect(None)
    with pytest.raises(LinkError) as err:
        await client.hello(1, protocol=2)
    assert err.value.code == "protocol_mismatch"
    assert err.value.error["supported"] == [1]


async def test_hello_without_user_id_is_invalid_body_naming_the_field(connect):
    client = await connect(None)
    reply = await client.request("hello", {"protocol": 1, "plugin": {"version": "1"}, "user": {}})
    assert reply["error"]["code"] == "invalid_body"
    assert reply["error"]["message"].startswith("user.id")


async def test_second_hello_on_a_connection_is_refused(connect):
    client = await connect(1)
    with pytest.raises(LinkError) as err:
        await client.hello(2)
    assert err.value.code == "invalid_body"


@pytest.mark.parametrize(
    ("frame", "message_part"),
    [("not json", "not valid JSON"), ("[1, 2]", "must be an object"), ('"text"', "must be an object")],
)
async def test_bad_text_frames_get_bad_frame_and_the_connection_stays_open(connect, frame, message_part):
    client = await connect(1)
    await client.send_raw(frame)
    reply = await asyncio.wait_for(client.unmatched.get(), 5)
    assert reply["ok"] is False and reply["re"] is None
    assert reply["error"]["code"] == "bad_frame"
    assert message_part in reply["error"]["message"]
    assert (await client.call("settings.get"))["settings"]


async def test_bad_binary_frame_gets_bad_frame_in_msgpack(connect):
    client = await connect(1, binary=True)
    await client.send_raw(b"\xc1\xc1\xc1")  # 0xc1 is never used in msgpack
    reply = await asyncio.wait_for(client.unmatched.get(), 5)
    assert reply["error"]["code"] == "bad_frame"


async def test_id_of_wrong_type_or_length_is_bad_frame(connect):
    client = await connect(1)
    for bad_id in (5, "", "x" * 65):
        await client.send_raw(json.dumps({"id": bad_id, "op": "status"}))
        reply = await asyncio.wait_for(client.unmatched.get(), 5)
        assert reply["error"]["code"] == "bad_frame"
        assert reply["error"]["message"].startswith("id")


async def test_missing_op_is_bad_frame_echoing_the_id(connect):
    client = await connect(1)
    future = client.expect("q1")
    await client.send_raw(json.dumps({"id": "q1"}))
    reply = await asyncio.wait_for(future, 5)
    assert reply["re"] == "q1" and reply["error"]["code"] == "bad_frame"


async def test_unknown_op_gets_unknown_op(connect):
    client = await connect(1)
    reply = await client.request("nope.nothing")
    assert reply["error"]["code"] == "unknown_op"
    assert "nope.nothing" in reply["error"]["message"]


async def test_empty_array_body_means_empty_object_and_body_may_be_omitted(connect):
    client = await connect(1)
    assert (await client.call("settings.get", []))["settings"]["ui"]["enableNotifications"] is True
    assert (await client.call("settings.get"))["settings"]["ui"]["enableNotifications"] is True


async def test_body_that_is_not_an_object_is_invalid_body(connect):
    client = await connect(1)
    reply = await client.request("settings.get", "hello")
    assert reply["error"]["code"] == "invalid_body"
    assert reply["error"]["message"].startswith("body")


async def test_a_request_without_id_is_processed_without_a_reply(connect, db_path):
    client = await connect(1)
    await client.send_raw(
        json.dumps(
            {
                "op": "events.append",
                "body": {"events": [{"id": "N-1", "ts": 1_700_000_000.0, "kind": "ui", "name": "button_click"}]},
            }
        )
    )
    # a later request with an id is answered; the id-less one never is
    assert (await client.call("status"))["version"]
    await asyncio.sleep(0.1)
    assert client.unmatched.empty()


async def test_msgpack_frames_are_answered_in_msgpack_with_the_same_body(connect):
    text = await connect(3)
    binary = await connect(3, binary=True)
    assert await text.call("settings.get") == await binary.call("settings.get")
    # the raw reply frame really is binary msgpack
    future = binary.expect("raw")
    await binary.ws.send_bytes(msgpack.packb({"id": "raw", "op": "settings.get"}))
    reply = await asyncio.wait_for(future, 5)
    assert reply["ok"] is True


async def test_token_server_refuses_hello_without_the_token(server_factory, config):
    running = await server_factory(config, token="s3cret")
    client = await LinkClient.connect(running.ws_url)
    try:
        with pytest.raises(LinkError) as err:
            await client.hello(1)
        assert err.value.code == "unauthorized"
        with pytest.raises(LinkError):
            await client.hello(1, token="wrong")
        assert (await client.hello(1, token="s3cret"))["protocol"] == 1
    finally:
        await client.close()
