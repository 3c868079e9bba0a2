"""`--watch`: a real file watcher rebuilds and reinstalls after changes, and survives a broken build."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dsm.plugin_build import read_rbxmx
from dsm.plugin_build.install import install
from dsm.plugin_build.watch import watch

DEADLINE_S = 10.0


def _wait_for(check: Callable[[], bool], what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_S:
        try:
            if check():
                return time.monotonic() - started
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"timed out after {DEADLINE_S}s waiting for {what}")


class Watcher:
    def __init__(self, project: Path, plugins: Path) -> None:
        self.lines: list[str] = []
        self.stop = threading.Event()
        self.output = plugins / "Fixture.rbxmx"
        self.thread = threading.Thread(
            target=watch,
            args=(lambda: install(project, plugins), project),
            kwargs={"emit": self.lines.append, "stop": self.stop},
            daemon=True,
        )

    def source_of(self, name: str) -> str | None:
        child = read_rbxmx(self.output).find_first_child(name)
        return None if child is None else str(child.properties["Source"])


@pytest.fixture
def watcher(fixture_project: Path, tmp_path: Path) -> Iterator[Watcher]:
    w = Watcher(fixture_project, tmp_path / "Plugins")
    w.thread.start()
    _wait_for(lambda: any(line.startswith("watching ") for line in w.lines), "the watcher to start")
    yield w
    w.stop.set()
    w.thread.join(timeout=5)
    assert not w.thread.is_alive(), "watch loop did not stop"


def test_watch_builds_once_then_rebuilds_after_an_edit(watcher: Watcher, fixture_project: Path) -> None:
    assert "built " in watcher.lines[0] and "after initial build" in watcher.lines[0]
    assert watcher.source_of("Util") == "return {}\n"

    (fixture_project.parent / "src" / "Util.luau").write_text("return { edited = true }\n")
    took = _wait_for(lambda: watcher.source_of("Util") == "return { edited = true }\n", "the edit to be rebuilt")
    print(f"edit visible in the installed plugin after {took * 1000:.0f} ms")
    rebuilds = [line for line in watcher.lines if "change(s)" in line]
    assert rebuilds and all(" built " in line for line in rebuilds)


def test_watch_picks_up_new_files(watcher: Watcher, fixture_project: Path) -> None:
    (fixture_project.parent / "src" / "Fresh.luau").write_text("return 'fresh'\n")
    _wait_for(lambda: watcher.source_of("Fresh") == "return 'fresh'\n", "the new file to be built")


def test_watch_reports_a_broken_build_and_recovers(watcher: Watcher, fixture_project: Path) -> None:
    config = fixture_project.parent / "src" / "config.json"
    config.write_text("{broken")
    _wait_for(lambda: any("build failed" in line for line in watcher.lines), "the failure line")
    failed = next(line for line in watcher.lines if "build failed" in line)
    assert "config.json: malformed JSON" in failed
    assert watcher.source_of("config") is not None  # the last good plugin stays installed

    config.write_text('{"fixed": true}')
    _wait_for(lambda: watcher.source_of("config") == "return {\n\tfixed = true,\n}", "the fix to be rebuilt")


def test_watch_ignores_its_own_output_folder_writes(fixture_project: Path, tmp_path: Path) -> None:
    # Output inside the watched tree must not trigger endless rebuilds.
    out_dir = fixture_project.parent / "src" / "empty"
    w = Watcher(fixture_project, out_dir)
    w.thread.start()
    try:
        _wait_for(lambda: any(line.startswith("watching ") for line in w.lines), "the watcher to start")
        time.sleep(0.6)
        assert [line for line in w.lines if "change(s)" in line] == []
    finally:
        w.stop.set()
        w.thread.join(timeout=5)


def test_watch_starts_even_when_the_first_build_fails(fixture_project: Path, tmp_path: Path) -> None:
    config = fixture_project.parent / "src" / "config.json"
    config.write_text("{broken")
    w = Watcher(fixture_project, tmp_path / "Plugins")
    w.thread.start()
    try:
        _wait_for(lambda: any(line.startswith("watching ") for line in w.lines), "the watcher to start")
        assert "build failed (initial build)" in w.lines[0]
        assert str(fixture_project.parent.resolve() / "src") in w.lines[1]  # watches the $path, not the repo
        config.write_text("[1]")
        _wait_for(lambda: w.source_of("config") == "return {1}", "the fixed build")
    finally:
        w.stop.set()
        w.thread.join(timeout=5)
