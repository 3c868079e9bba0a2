"""The cache store: names, key lists and values with key info; expiry, counters, bytes, clearing."""

from __future__ import annotations

import pytest

from dsm.link.client import LinkError

KEY_INFO = {
    "version": "v1",
    "createdTime": 1_700_000_000_000,
    "updatedTime": 1_700_000_100_000,
    "userIds": [123, 456],
    "metadata": {"source": "test"},
}


async def test_value_round_trips_with_its_key_info(connect):
    client = await connect(1)
    put = await client.call(
        "cache.put",
        {
            "type": "value",
            "datastore": "PlayerData",
            "scope": "global",
            "key": "player_1",
            "value": {"level": 50, "coins": [1, 2]},
            "keyInfo": KEY_INFO,
        },
    )
    assert put["stored"] is True and put["bytes"] > 0
    assert put["expiresAt"] == pytest.approx(put["cachedAt"] + 300)
    got = await client.call(
        "cache.get", {"type": "value", "datastore": "PlayerData", "scope": "global", "key": "player_1"}
    )
    assert got["hit"] is True
    entry = got["entry"]
    assert entry["value"] == {"level": 50, "coins": [1, 2]}
    assert entry["keyInfo"] == KEY_INFO
    assert entry["key"] == "player_1" and entry["datastore"] == "PlayerData"


async def test_name_and_key_lists_are_cached_per_datastore_scope_and_prefix(connect):
    client = await connect(1)
    await client.call("cache.put", {"type": "datastores", "names": ["PlayerData", "Currency"]})
    await client.call(
        "cache.put", {"type": "keys", "datastore": "PlayerData", "scope": "global", "keys": ["player_1", "player_2"]}
    )
    await client.call(
        "cache.put",
        {"type": "keys", "datastore": "PlayerData", "scope": "global", "prefix": "player_1", "keys": ["player_1"]},
    )
    names = await client.call("cache.get", {"type": "datastores"})
    assert names["entry"]["names"] == ["PlayerData", "Currency"]
    keys = await client.call("cache.get", {"type": "keys", "datastore": "PlayerData"})
    assert keys["entry"]["keys"] == ["player_1", "player_2"]
    prefixed = await client.call("cache.get", {"type": "keys", "datastore": "PlayerData", "prefix": "player_1"})
    assert prefixed["entry"]["keys"] == ["player_1"]
    other_scope = await client.call("cache.get", {"type": "keys", "datastore": "PlayerData", "scope": "s2"})
    assert other_scope == {"hit": False, "entry": None}


async def test_hits_misses_and_bytes_are_counted(connect):
    client = await connect(1)
    put = await client.call("cache.put", {"type": "value", "datastore": "D", "key": "k", "value": "x" * 100})
    await client.call("cache.get", {"type": "value", "datastore": "D", "key": "k"})
    await client.call("cache.get", {"type": "value", "datastore": "D", "key": "k"})
    await client.call("cache.get", {"type": "value", "datastore": "D", "key": "missing"})
    stats = await client.call("cache.stats")
    assert (stats["hits"], stats["misses"], stats["entries"]) == (2, 1, 1)
    assert stats["hitRate"] == pytest.approx(2 / 3)
    assert stats["estimatedSize"] == put["bytes"]
    assert stats["byDataStore"] == {"D": {"entries": 1, "bytes": put["bytes"]}}
    assert stats["byType"]["value"]["entries"] == 1


async def test_an_expired_entry_is_kept_and_returned_stale_with_its_age(connect, clock):
    client = await connect(1)
    await client.call("settings.update", {"patch": {"dataStore": {"cacheTimeout": 60}}})
    put = await client.call("cache.put", {"type": "value", "datastore": "D", "key": "k", "value": {"level": 3}})
    clock.advance(45)
    fresh = await client.call("cache.get", {"type": "value", "datastore": "D", "key": "k"})
    assert (fresh["hit"], fresh["entry"]["stale"], fresh["entry"]["age"]) == (True, False, 45)
    clock.advance(3600)
    got = await client.call("cache.get", {"type": "value", "datastore": "D", "key": "k"})
    assert got["hit"] is True
    entry = got["entry"]
    assert entry["value"] == {"level": 3} and (entry["stale"], entry["age"]) == (True, 3645)
    assert (entry["cachedAt"], entry["expiresAt"]) == (put["cachedAt"], put["cachedAt"] + 60)
    stats = await client.call("cache.stats")
    assert (stats["entries"], stats["hits"], stats["misses"], stats["expired"]) == (0, 1, 1, 1)
    assert stats["stale"] == {"entries": 1, "bytes": put["bytes"]}
    again = await client.call("cache.get", {"type": "value", "datastore": "D", "key": "k"})
    assert again["entry"]["value"] == {"level": 3}  # reading a stale entry does not remove it


async def test_a_new_put_makes_a_stale_entry_fresh_again(connect, clock):
    client = await connect(1)
    await client.call("settings.update", {"patch": {"dataStore": {"cacheTimeout": 0}}})
    await client.call("cache.put", {"type": "keys", "datastore": "D", "keys": ["a"]})
    clock.advance(10)
    assert (await client.call("cache.get", {"type": "keys", "datastore": "D"}))["entry"]["stale"] is True
    await client.call("settings.update", {"patch": {"dataStore": {"cacheTimeout": 300}}})
    await client.call("cache.put", {"type": "keys", "datastore": "D", "keys": ["a", "b"]})
    entry = (await client.call("cache.get", {"type": "keys", "datastore": "D"}))["entry"]
    assert (entry["stale"], entry["age"], entry["keys"]) == (False, 0, ["a", "b"])


async def test_retention_removes_old_entries_stale_or_not(connect, clock):
    client = await connect(1)
    await client.call("settings.update", {"patch": {"dataStore": {"cacheTimeout": 0}}})
    await client.call("cache.put", {"type": "value", "datastore": "D", "key": "old", "value": 1})
    clock.advance(31 * 86400)
    await client.call("cache.put", {"type": "value", "datastore": "D", "key": "new", "value": 2})
    cleaned = await client.call("data.clean")  # the default: analytics.retainDataDays = 30
    assert cleaned["removed"]["cache"] == 1
    gone = await client.call("cache.get", {"type": "value", "datastore": "D", "key": "old"})
    assert gone == {"hit": False, "entry": None}
    kept = await client.call("cache.get", {"type": "value", "datastore": "D", "key": "new"})
    assert kept["entry"]["stale"] is True and kept["entry"]["value"] == 2


async def test_clear_all_or_one_datastore(connect):
    client = await connect(1)
    for ds in ("A", "B"):
        for key in ("k1", "k2"):
            await client.call("cache.put", {"type": "value", "datastore": ds, "key": key, "value": 1})
    assert await client.call("cache.clear", {"datastore": "A"}) == {"removed": 2}
    assert (await client.call("cache.stats"))["entries"] == 2
    assert await client.call("cache.clear") == {"removed": 2}
    assert (await client.call("cache.stats"))["entries"] == 0


async def test_cache_is_per_user(connect):
    a, b = await connect(1), await connect(2)
    await a.call("cache.put", {"type": "value", "datastore": "D", "key": "k", "value": 1})
    assert (await b.call("cache.get", {"type": "value", "datastore": "D", "key": "k"}))["hit"] is False
    assert await b.call("cache.clear") == {"removed": 0}
    assert (await a.call("cache.get", {"type": "value", "datastore": "D", "key": "k"}))["hit"] is True


@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        ({"type": "blob"}, "invalid_body", "type"),
        ({"type": "value", "key": "k", "value": 1}, "invalid_body", "datastore"),
        ({"type": "value", "datastore": "D" * 51, "key": "k", "value": 1}, "invalid_body", "datastore"),
        ({"type": "value", "datastore": "D", "key": "k" * 51, "value": 1}, "invalid_body", "key"),
        (
            {"type": "value", "datastore": "D", "key": "k", "keyInfo": {"userIds": ["me"]}},
            "invalid_body",
            "keyInfo.userIds[0]",
        ),
        ({"type": "keys", "datastore": "D", "keys": [1]}, "invalid_body", "keys[0]"),
        ({"type": "datastores", "names": "all"}, "invalid_body", "names"),
        ({"type": "value", "datastore": "D", "key": "k", "value": "x" * (4 * 1024 * 1024 + 1)}, "too_large", "value"),
    ],
)
async def test_bad_puts_are_refused_and_store_nothing(connect, body, code, path):
    client = await connect(1)
    with pytest.raises(LinkError) as err:
        await client.call("cache.put", body)
    assert err.value.code == code
    assert err.value.error["message"].startswith(path)
    assert (await client.call("cache.stats"))["entries"] == 0
