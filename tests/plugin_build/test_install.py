"""`dsm plugin build|install`: the file lands where asked, Studio's folder is found per platform."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from dsm.cli import main
from dsm.plugin_build import build_tree, read_rbxmx
from dsm.plugin_build.install import InstallError, install, studio_plugins_dir


def test_windows_plugins_folder_is_under_localappdata(tmp_path: Path) -> None:
    env = {"LOCALAPPDATA": str(tmp_path / "Local")}
    assert studio_plugins_dir("win32", env) == tmp_path / "Local" / "Roblox" / "Plugins"


def test_windows_without_localappdata_asks_for_dir() -> None:
    with pytest.raises(InstallError, match=r"LOCALAPPDATA is not set.*--dir"):
        studio_plugins_dir("win32", {})


def test_macos_plugins_folder_is_under_documents(tmp_path: Path) -> None:
    assert studio_plugins_dir("darwin", {}, home=tmp_path) == tmp_path / "Documents" / "Roblox" / "Plugins"


@pytest.mark.parametrize("platform", ["linux", "freebsd14", "cygwin"])
def test_other_platforms_require_an_explicit_dir(platform: str) -> None:
    with pytest.raises(InstallError, match=r"Windows and macOS only.*pass --dir DIR"):
        studio_plugins_dir(platform, {})


def test_install_writes_the_built_plugin_into_the_folder(fixture_project: Path, tmp_path: Path) -> None:
    plugins = tmp_path / "Plugins" / "deep"
    built = install(fixture_project, plugins)
    assert built.output == plugins / "Fixture.rbxmx"
    assert read_rbxmx(built.output) == build_tree(fixture_project).root
    assert sorted(p.name for p in plugins.iterdir()) == ["Fixture.rbxmx"]  # no temp files left behind
    if os.name == "posix":
        assert built.output.stat().st_mode & 0o777 == 0o644


def test_install_refuses_a_file_as_the_folder(fixture_project: Path, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(InstallError, match="is not a folder"):
        install(fixture_project, not_a_dir)


def test_cli_build_writes_the_output_file(
    fixture_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "build" / "Plugin.rbxmx"
    assert main(["plugin", "build", "--project", str(fixture_project), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out} (32 instances, {out.stat().st_size} bytes)\n"
    assert read_rbxmx(out) == build_tree(fixture_project).root


def test_cli_build_defaults_to_project_name_in_current_folder(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plugin", "build", "--project", str(fixture_project)]) == 0
    assert read_rbxmx(tmp_path / "Fixture.rbxmx").name == "Fixture"


def test_cli_build_reports_a_bad_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.project.json"
    bad.write_text('{"name": "X", "tree": {"$path": "missing"}}')
    assert main(["plugin", "build", "--project", str(bad), "-o", str(tmp_path / "x.rbxmx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dsm plugin build: ") and "'missing'" in err and "does not exist" in err
    assert not (tmp_path / "x.rbxmx").exists()


def test_cli_install_into_dir(fixture_project: Path, tmp_path: Path) -> None:
    target = tmp_path / "MyPlugins"
    assert main(["plugin", "install", "--project", str(fixture_project), "--dir", str(target)]) == 0
    assert read_rbxmx(target / "Fixture.rbxmx").class_name == "Script"


def test_cli_install_uses_the_macos_folder(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    assert main(["plugin", "install", "--project", str(fixture_project)]) == 0
    assert (tmp_path / "Documents" / "Roblox" / "Plugins" / "Fixture.rbxmx").is_file()


def test_cli_install_uses_the_windows_folder(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "AppData" / "Local"))
    assert main(["plugin", "install", "--project", str(fixture_project)]) == 0
    assert (tmp_path / "AppData" / "Local" / "Roblox" / "Plugins" / "Fixture.rbxmx").is_file()


def test_cli_install_elsewhere_without_dir_is_a_clear_error(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["plugin", "install", "--project", str(fixture_project)]) == 2
    assert "pass --dir DIR" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["plugin"], ["plugin", "build"], ["plugin", "install"]])
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    assert "usage: dsm plugin" in capsys.readouterr().out
