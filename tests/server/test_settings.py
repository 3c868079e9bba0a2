"""Settings: defaults, validated updates that change nothing on error, updatedAt, pushes to other connections."""

from __future__ import annotations

import asyncio

import pytest

from dsm.link.client import LinkError
from dsm.store.settings import defaults


async def test_settings_get_returns_the_product_defaults(connect):
    client = await connect(1)
    body = await client.call("settings.get")
    assert body["settings"] == defaults()
    assert body["settings"]["dataStore"] == {
        "cacheTimeout": 300,
        "enablePersistentCache": True,
        "autoBackup": True,
        "readOnly": False,
    }
    assert body["updatedAt"] == 0


async def test_update_changes_only_the_patched_keys_and_stamps_updated_at(connect):
    client = await connect(1)
    before = await client.call("settings.get")
    body = await client.call(
        "settings.update", {"patch": {"analytics": {"retainDataDays": 45}, "reporting": {"reportFrequency": "weekly"}}}
    )
    assert body["settings"]["analytics"]["retainDataDays"] == 45
    assert body["settings"]["reporting"]["reportFrequency"] == "weekly"
    assert body["settings"]["analytics"]["enabled"] is True
    assert body["updatedAt"] > 0
    expected = before["settings"]
    expected["analytics"]["retainDataDays"] = 45
    expected["reporting"]["reportFrequency"] = "weekly"
    assert (await client.call("settings.get")) == body
    assert body["settings"] == expected


async def test_whole_number_doubles_are_accepted_for_integer_settings(connect):
    client = await connect(1)
    body = await client.call("settings.update", {"patch": {"analytics": {"retainDataDays": 45.0}}})
    assert body["settings"]["analytics"]["retainDataDays"] == 45


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"bogus": {"x": 1}}, "patch.bogus"),
        ({"analytics": {"bogus": 1}}, "patch.analytics.bogus"),
        ({"analytics": {"enabled": "yes"}}, "patch.analytics.enabled"),
        ({"analytics": {"retainDataDays": 2.5}}, "patch.analytics.retainDataDays"),
        ({"analytics": {"retainDataDays": 0}}, "patch.analytics.retainDataDays"),
        ({"dataStore": {"cacheTimeout": "300"}}, "patch.dataStore.cacheTimeout"),
        ({"reporting": {"reportFrequency": "monthly"}}, "patch.reporting.reportFrequency"),
        ({"ui": 5}, "patch.ui"),
    ],
)
async def test_an_invalid_patch_names_the_field_and_changes_nothing(connect, patch, path):
    client = await connect(1)
    # a valid field in the same patch must not be applied either
    patch = {"ui": {"enableNotifications": False}, **patch} if "ui" not in patch else patch
    with pytest.raises(LinkError) as err:
        await client.call("settings.update", {"patch": patch})
    assert err.value.code == "invalid_body"
    assert err.value.error["message"].startswith(path)
    assert await client.call("settings.get") == {"settings": defaults(), "updatedAt": 0}


async def test_an_empty_patch_array_is_an_empty_patch(connect):
    client = await connect(1)
    body = await client.call("settings.update", {"patch": []})
    assert body["settings"] == defaults()


async def test_update_is_pushed_to_the_users_other_connections_only(connect):
    editor, other_tab, stranger = await connect(1), await connect(1, session_id="S2"), await connect(2)
    body = await editor.call("settings.update", {"patch": {"ui": {"showAnalyticsDashboard": False}}})
    push = await asyncio.wait_for(other_tab.pushes.get(), 5)
    assert push == {"push": "settings.changed", "body": body}
    await stranger.call("status")
    await editor.call("status")
    assert editor.pushes.empty() and stranger.pushes.empty()


async def test_settings_are_per_user(connect):
    a, b = await connect(1), await connect(2)
    await a.call("settings.update", {"patch": {"dataStore": {"cacheTimeout": 10}}})
    assert (await b.call("settings.get"))["settings"]["dataStore"]["cacheTimeout"] == 300


async def test_hello_returns_the_users_saved_settings(connect):
    a = await connect(1)
    await a.call("settings.update", {"patch": {"dataStore": {"cacheTimeout": 10}}})
    fresh = await connect(None)
    assert (await fresh.hello(1))["settings"]["dataStore"]["cacheTimeout"] == 10


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"anomalyDetection": {"errorBurstThreshold": 2_000_000}}, "must be at most 1000000"),
        ({"anomalyDetection": {"zThreshold": 0.25}}, "must be at least 0.5"),
        ({"analytics": {"retainDataDays": 0}}, "must be at least 1"),
    ],
)
async def test_a_range_message_writes_its_bound_as_a_person_would(connect, patch, message):
    # The plugin shows this message next to the setting, so "1e+06" would reach the user as is.
    client = await connect(1)
    with pytest.raises(LinkError) as caught:
        await client.call("settings.update", {"patch": patch})
    section, values = next(iter(patch.items()))
    assert caught.value.error["message"] == f"patch.{section}.{next(iter(values))}: {message}"
