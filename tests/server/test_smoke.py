from dsm.link.client import LinkClient


async def test_hello_then_append_and_current(server, connect):
    client: LinkClient = await connect(7)
    ack = await client.call(
        "events.append",
        {
            "events": [
                {"id": "S1-1", "ts": 1000.0, "kind": "ui", "name": "button_click", "feature": "DataExplorer"},
                {
                    "id": "S1-2",
                    "ts": 1001.0,
                    "kind": "datastore",
                    "name": "getData",
                    "latencyMs": 12.5,
                    "ok": True,
                },
            ]
        },
    )
    assert ack == {"accepted": 2, "duplicates": 0}
    again = await client.call("events.append", {"events": [{"id": "S1-1", "ts": 1000.0, "kind": "ui", "name": "x"}]})
    assert again == {"accepted": 0, "duplicates": 1}
    cur = await client.call("analytics.current")
    assert cur["summary"]["totalEvents"] == 2
