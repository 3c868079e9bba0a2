"""The repository's own default.project.json builds the plugin Studio loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsm.plugin_build import build_tree, read_rbxmx, write_rbxmx

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "default.project.json"

pytestmark = pytest.mark.skipif(
    not (REPO / "plugin" / "src").is_dir(), reason="plugin/src is not in this checkout, nothing to build"
)

EXPECTED_MODULES = {
    "PluginDataStore",
    "DataStoreManagerSlim",
    "PluginAnalyticsService",
    "ReportManager",
    "AnalyticsIntegration",
}


def test_real_project_builds_a_script_rooted_plugin(tmp_path: Path) -> None:
    out = tmp_path / "DataStoreManagerPro.rbxmx"
    root = build_tree(PROJECT).root
    write_rbxmx(root, out)
    loaded = read_rbxmx(out)
    assert loaded == root
    assert (loaded.class_name, loaded.name) == ("Script", "DataStoreManagerPro")
    modules = {d.name for d in loaded.descendants() if d.class_name == "ModuleScript"}
    assert EXPECTED_MODULES <= modules, f"missing: {sorted(EXPECTED_MODULES - modules)}"


def test_real_project_leaves_specs_out() -> None:
    names = [d.name for d in build_tree(PROJECT).root.descendants()]
    assert not [n for n in names if n.endswith((".spec", ".story"))]
