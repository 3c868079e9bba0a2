"""The bed itself: loading trees, settings across Studio sessions, and the WebSocket bridge to a real companion."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from studio_bed import BedTimeout, LuauError, StudioBed, load

FIXTURE_PLUGIN = Path(__file__).parent / "fixtures" / "mini_plugin"


@dataclass
class TreeNode:
    """The shape dsm.plugin_build's rbxmx reader returns."""

    class_name: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)
    children: list[TreeNode] = field(default_factory=list)


def test_rojo_folder_layout_becomes_scripts_modules_and_folders() -> None:
    root = load(FIXTURE_PLUGIN, "Mini")
    assert (root.class_name, root.name) == ("Script", "Mini")
    core = next(c for c in root.children if c.name == "core")
    assert core.class_name == "ModuleScript"  # folder with init.luau
    data = next(c for c in core.children if c.name == "data")
    assert data.class_name == "Folder"
    assert {c.name for c in data.children} >= {"Store", "CycleA", "Broken"}
    assert all(c.class_name == "ModuleScript" for c in data.children)


def test_a_folder_with_init_plugin_luau_loads_as_the_plugin_script_and_runs(tmp_path: Path) -> None:
    (tmp_path / "init.plugin.luau").write_text('plugin:SetSetting("answer", require(script.Answer))\n')
    (tmp_path / "Answer.luau").write_text("return 42\n")
    root = load(tmp_path, "Plug")
    assert (root.class_name, [(c.class_name, c.name) for c in root.children]) == (
        "Script",
        [("ModuleScript", "Answer")],
    )
    with StudioBed(tmp_path) as bed:
        bed.start_plugin()
        bed.flush()
        assert bed.settings == {"answer": 42}


def test_instance_tree_objects_load_and_run() -> None:
    tree = TreeNode(
        "Script",
        "Built",
        {"Source": "return nil"},
        [
            TreeNode("Folder", "lib", {}, [TreeNode("ModuleScript", "Answer", {"Source": "return 6 * 7"})]),
        ],
    )
    with StudioBed(tree) as bed:
        assert bed.eval("return require(Plugin.lib.Answer), Plugin.lib.ClassName, Plugin.Name") == [
            42,
            "Folder",
            "Built",
        ]


def test_unknown_classes_in_a_tree_are_refused() -> None:
    with pytest.raises(ValueError, match="Part is not emulated"):
        StudioBed(TreeNode("Folder", "x", {}, [TreeNode("Part", "p")]))


def test_settings_survive_a_studio_restart() -> None:
    with StudioBed(FIXTURE_PLUGIN) as bed:
        bed.start_plugin()
        bed.eval("TestBed.click(TestBed.toolbarButton('mini_toggle'))")
        saved = dict(bed.settings)
    assert saved == {"clicks": 1}
    with StudioBed(FIXTURE_PLUGIN, settings=saved) as bed:
        bed.start_plugin()
        bed.eval("TestBed.click(TestBed.toolbarButton('mini_toggle'))")
        assert bed.eval("return TestBed.widget('MiniWidget').Status.Text") == ["opened 2"]
        assert bed.settings["clicks"] == 2


def test_python_side_seeds_and_reads_datastores_and_advances_time() -> None:
    with StudioBed(FIXTURE_PLUGIN, players=1) as bed:
        bed.seed("PlayerData", "p1", {"coins": 5}, user_ids=[9])
        assert bed.eval("return require(Plugin.core.data.Store).read('PlayerData', 'p1')")[:2] == [True, {"coins": 5}]
        bed.eval("game:GetService('DataStoreService'):GetDataStore('PlayerData'):SetAsync('p1', {coins = 6})")
        assert bed.datastore_value("PlayerData", "p1") == {"coins": 6}
        before = bed.now
        bed.advance(90)
        assert bed.now == pytest.approx(before + 90)
        budget = bed.eval(
            "local DataStoreService = game:GetService('DataStoreService')\n"
            "return DataStoreService:GetRequestBudgetForRequestType(Enum.DataStoreRequestType.GetAsync)"
        )
        assert budget == [70]


def test_errors_in_awaited_code_raise_with_luau_traceback() -> None:
    with StudioBed(FIXTURE_PLUGIN) as bed, pytest.raises(LuauError, match="is not a valid member of Frame"):
        bed.eval("local f = Instance.new('Frame'); return f.Nope")


def test_web_stream_client_talks_to_the_real_companion(companion: Any) -> None:
    code = """
    local HttpService = game:GetService("HttpService")
    local client = HttpService:CreateWebStreamClient(Enum.WebStreamClientType.WebSocket, { Url = ... })
    local replies = {}
    client.MessageReceived:Connect(function(text)
        table.insert(replies, HttpService:JSONDecode(text))
    end)
    client.Opened:Wait()
    client:Send(HttpService:JSONEncode({ id = "1", op = "hello", body = {
        protocol = 1, plugin = { version = "test" }, user = { id = 77 },
        studio = { placeId = 0, gameId = 0, sessionId = HttpService:GenerateGUID(false) } } }))
    client:Send(HttpService:JSONEncode({ id = "2", op = "nope.op" }))
    TestBed.waitFor(function() return #replies == 2 end)
    client:Close()
    client.Closed:Wait()
    return replies[1].re, replies[1].ok, replies[1].body.protocol, replies[2].ok, replies[2].error.code,
        client.ConnectionState == Enum.WebStreamClientState.Closed
    """
    with StudioBed(FIXTURE_PLUGIN) as bed:
        chunk = f"return (function(...) {code} end)({companion.ws_url!r})"
        assert bed.eval(chunk) == ["1", True, 1, False, "unknown_op", True]
        sockets = bed.sockets
        assert len(sockets) == 1 and len(sockets[0]["sent"]) == 2 and sockets[0]["state"] == "closed"


def test_web_stream_client_reports_a_refused_connection() -> None:
    code = """
    local client = game:GetService("HttpService"):CreateWebStreamClient(
        Enum.WebStreamClientType.WebSocket, { Url = "ws://127.0.0.1:9/ws" })
    local status, message = client.Error:Wait()
    client.Closed:Wait()
    return type(status), type(message), client.ConnectionState.Name
    """
    with StudioBed(FIXTURE_PLUGIN) as bed:
        assert bed.eval(code) == ["number", "string", "Closed"]


def test_spec_server_url_starts_a_real_companion() -> None:
    with StudioBed(FIXTURE_PLUGIN) as bed:
        url = bed.eval("return TestBed.serverUrl()")[0]
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/ws")
        assert bed.eval("return TestBed.serverUrl()")[0] == url


def test_a_loop_that_never_yields_is_stopped_at_the_real_time_limit() -> None:
    with StudioBed(FIXTURE_PLUGIN) as bed:
        with pytest.raises(BedTimeout, match="real"):
            bed.eval("local n = 0 while true do n += 1 end", real_limit=0.3)
        with pytest.raises(BedTimeout, match="real"):
            bed.eval("coroutine.wrap(function() while true do end end)() while true do end", real_limit=0.3)
        assert bed.eval("return 1 + 1") == [2]  # the VM is still usable afterwards


def test_the_emulation_refuses_to_boot_when_surface_and_implementation_disagree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from studio_bed import surface

    changed = dict(surface.CLASSES)
    changed["Folder"] = surface.ClassSpec("Instance", methods=("NotImplementedAnywhere",), creatable=True)
    monkeypatch.setattr(surface, "CLASSES", changed)
    with pytest.raises(RuntimeError, match="Folder:NotImplementedAnywhere is listed but not implemented"):
        StudioBed(FIXTURE_PLUGIN)


def test_the_companion_a_bed_starts_keeps_the_beds_virtual_time() -> None:
    code = """
    local HttpService = game:GetService("HttpService")
    local client = HttpService:CreateWebStreamClient(Enum.WebStreamClientType.WebSocket, { Url = TestBed.serverUrl() })
    local replies = {}
    client.MessageReceived:Connect(function(text)
        local frame = HttpService:JSONDecode(text)
        replies[frame.re] = frame.body
    end)
    client.Opened:Wait()
    client:Send(HttpService:JSONEncode({ id = "h", op = "hello", body = {
        protocol = 1, plugin = { version = "test" }, user = { id = 77 },
        studio = { placeId = 0, gameId = 0, sessionId = "S" } } }))
    client:Send(HttpService:JSONEncode({ id = "a", op = "analytics.current" }))
    TestBed.waitFor(function() return replies.a ~= nil end)
    local before = { os.time(), replies.a.timestamp }
    TestBed.advance(3 * 86400 + 5)
    client:Send(HttpService:JSONEncode({ id = "b", op = "analytics.current" }))
    TestBed.waitFor(function() return replies.b ~= nil end)
    client:Close()
    return before[1], before[2], os.time(), replies.b.timestamp
    """
    start = 1_900_000_000.0  # 2030-03-17, far from today's real date
    with StudioBed(FIXTURE_PLUGIN, start_time=start) as bed:
        studio_then, companion_then, studio_now, companion_now = bed.eval(code, virtual_limit=4 * 86400)
    assert studio_then == start and abs(companion_then - start) < 1
    assert studio_now >= start + 3 * 86400 + 5
    assert abs(companion_now - studio_now) < 1


def _pinging_server(heartbeat: float) -> web.Application:
    """Pings every `heartbeat` s and closes a client that misses a pong (aiohttp's rule); answers each request."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=heartbeat)
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(json.dumps({"re": json.loads(msg.data)["id"]}))
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    return app


IDLE_CLIENT = """
local client = game:GetService("HttpService"):CreateWebStreamClient(Enum.WebStreamClientType.WebSocket, { Url = ... })
client.Opened:Wait()
local outcome = nil
client.MessageReceived:Connect(function() outcome = outcome or "answered" end)
client.Closed:Connect(function() outcome = outcome or "closed" end)
for _ = 1, 6 do
    TestBed.advance(5) -- the server's heartbeat, then its wait for the pong, run on the virtual clock
end
if client.ConnectionState == Enum.WebStreamClientState.Open then
    client:Send('{"id": "1"}') -- a round trip: a close already on its way arrives instead of the answer
end
TestBed.waitFor(function() return outcome ~= nil end, 30)
return outcome
"""


@pytest.mark.parametrize(("answer_pings", "outcome"), [(False, "closed"), (True, "answered")])
def test_the_client_never_answers_websocket_pings_unless_told_and_servers_see_virtual_time(
    answer_pings: bool, outcome: str
) -> None:
    with StudioBed(FIXTURE_PLUGIN) as bed:
        port = bed.net.serve(_pinging_server(heartbeat=10.0))
        bed.eval(f"TestBed.setWebStream({{ answerPings = {str(answer_pings).lower()} }})")
        assert bed.eval(f"return (function(...) {IDLE_CLIENT} end)('ws://127.0.0.1:{port}/ws')") == [outcome]
        assert (bed.sockets[0]["ignoredPings"] > 0) is not answer_pings
