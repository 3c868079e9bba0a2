"""The built plugin (.rbxmx from default.project.json) runs in the emulated Studio against a real companion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio_bed import REPO_ROOT, StudioBed
from studio_bed.net import Companion

from dsm.plugin_build.install import build
from dsm.plugin_build.rbxmx import read_rbxmx

URL_SETTING = "DataStoreManagerPro.companionUrl"


def frames(texts: list[str]) -> list[dict[str, Any]]:
    return [json.loads(t) for t in texts]


def test_built_plugin_connects_browses_and_reports_to_the_companion(tmp_path: Path, companion: Companion) -> None:
    built = build(REPO_ROOT / "default.project.json", tmp_path / "DataStoreManagerPro.rbxmx")
    tree = read_rbxmx(built.output)
    with StudioBed(tree, user_id=4242, settings={URL_SETTING: companion.ws_url}) as bed:
        bed.seed("PlayerData", "player_1", {"level": 50})
        bed.start_plugin()
        bed.eval(
            """
            TestBed.waitFor(function() return TestBed.widget("DataStoreManagerPro") ~= nil end)
            local widget = TestBed.widget("DataStoreManagerPro")
            TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
            TestBed.waitFor(function() return widget:FindFirstChild("DataStore_PlayerData", true) ~= nil end)
            TestBed.advance(30) -- let the event queue flush to the companion
            """
        )
        bed.eval("TestBed.unloadPlugin()")
        sockets = bed.sockets
        assert not bed.errors

    assert sockets, "the plugin never opened a WebStreamClient"
    assert sockets[0]["url"] == companion.ws_url
    sent = frames(sockets[0]["sent"])
    received = {f.get("re"): f for f in frames(sockets[0]["received"]) if "re" in f}
    hello = sent[0]
    assert hello["op"] == "hello"
    assert hello["body"]["user"]["id"] == 4242
    assert received[hello["id"]]["ok"] is True
    appends = [f for f in sent if f["op"] == "events.append"]
    assert appends, f"no events.append among {[f['op'] for f in sent]}"
    acks = [received[f["id"]] for f in appends if f["id"] in received]
    assert acks and all(a["ok"] for a in acks)
    assert sum(a["body"]["accepted"] for a in acks) >= 1
    names = {e["name"] for f in appends for e in f["body"]["events"]}
    assert "widget_open" in names
