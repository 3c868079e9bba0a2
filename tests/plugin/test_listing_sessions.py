"""The explorer remembers the scope chosen for each DataStore into the next Studio session (the plugin's settings),
as the user sees it: the DataStore opens in that scope, its keys listed, the scope box filled."""

from __future__ import annotations

from studio_bed import PLUGIN_SRC, StudioBed

OPEN = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.waitFor(function() return find("DataStore_PlayerData") ~= nil end)
TestBed.click(find("DataStore_PlayerData"))
"""

SHOWN = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.waitFor(function() return find("Key_{key}") ~= nil end)
return find("Scope").Text, find("Status").Text
"""


def seed(bed: StudioBed) -> None:
    bed.seed("PlayerData", "p_global", 1)
    bed.seed("PlayerData", "p_beta", 2, scope="beta")
    bed.seed("Guilds", "g1", 3)


def test_scope_per_datastore_is_remembered_in_the_next_session() -> None:
    with StudioBed(PLUGIN_SRC) as bed:
        seed(bed)
        bed.start_plugin()
        bed.eval(OPEN)
        assert bed.eval(SHOWN.replace("{key}", "p_global")) == ["", "PlayerData / global"]
        bed.eval("TestBed.typeText(TestBed.widget('DataStoreManagerPro'):FindFirstChild('Scope', true), 'beta', true)")
        assert bed.eval(SHOWN.replace("{key}", "p_beta")) == ["beta", "PlayerData / beta"]
        saved = dict(bed.settings)
    assert "DataStoreManagerPro_explorerScopes" in saved
    with StudioBed(PLUGIN_SRC, settings=saved) as bed:  # Studio restarted
        seed(bed)
        bed.start_plugin()
        bed.eval(OPEN)
        assert bed.eval(SHOWN.replace("{key}", "p_beta")) == ["beta", "PlayerData / beta"]
        # Another DataStore still opens in the global scope.
        bed.eval("TestBed.click(TestBed.widget('DataStoreManagerPro'):FindFirstChild('DataStore_Guilds', true))")
        assert bed.eval(SHOWN.replace("{key}", "g1")) == ["", "Guilds / global"]
