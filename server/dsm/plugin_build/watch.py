"""Rebuilds (and reinstalls) the plugin whenever a file the project reads changes, one line per rebuild."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import watchfiles

from dsm.plugin_build.install import Built
from dsm.plugin_build.model import BuildError
from dsm.plugin_build.project import load_project

log = logging.getLogger(__name__)

DEBOUNCE_MS = 100


class _Filter(watchfiles.DefaultFilter):
    """Skips editor/VCS noise (the default) plus our own output and its temporary files."""

    def __init__(self, outputs: set[Path]) -> None:
        super().__init__()
        self._outputs = {str(p) for p in outputs}

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if path in self._outputs or ".rbxmx." in Path(path).name:  # write_rbxmx's temp files
            return False
        return super().__call__(change, path)


def watch(
    rebuild: Callable[[], Built],
    project_file: Path,
    *,
    emit: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Builds once, then after each batch of changes until `stop` is set (or Ctrl+C)."""
    stop = stop or threading.Event()
    built = _attempt(rebuild, emit, "initial build")
    outputs: set[Path] = set()
    while not stop.is_set():
        if built is not None:
            outputs.add(built.output.resolve())
        roots = _roots(built, project_file)
        ready = False
        for changes in watchfiles.watch(
            *roots,
            watch_filter=_Filter(outputs),
            debounce=DEBOUNCE_MS,
            step=20,
            stop_event=stop,
            rust_timeout=250,
            yield_on_timeout=True,  # the first empty batch tells us the watcher is registered
            raise_interrupt=True,
        ):
            if not changes:
                if not ready:
                    ready = True
                    emit(f"watching {', '.join(str(r) for r in roots)} (Ctrl+C to stop)")
                continue
            built = _attempt(rebuild, emit, f"{len(changes)} change(s)") or built
            if _roots(built, project_file) != roots:
                break  # the project now reads other paths: watch those instead


def _attempt(rebuild: Callable[[], Built], emit: Callable[[str], None], reason: str) -> Built | None:
    started = time.perf_counter()
    stamp = datetime.now().strftime("%H:%M:%S")
    try:
        built = rebuild()
    except BuildError as exc:
        emit(f"[{stamp}] build failed ({reason}): {exc}")
        return None
    ms = (time.perf_counter() - started) * 1000
    emit(
        f"[{stamp}] built {built.output} ({built.result.root.count()} instances, {built.size} bytes) "
        f"in {ms:.0f} ms after {reason}"
    )
    return built


def _roots(built: Built | None, project_file: Path) -> list[Path]:
    """The existing paths to observe, outermost only (a folder covers everything inside it)."""
    paths = built.result.watched if built is not None else _declared_paths(project_file.resolve())
    existing = sorted(p for p in paths if p.exists())
    return [p for p in existing if not any(q != p and q.is_dir() and p.is_relative_to(q) for q in existing)]


def _declared_paths(project_file: Path) -> set[Path]:
    """Before any build succeeded: the project file and the `$path`s its tree names, if it parses."""
    paths = {project_file}
    try:
        nodes = [load_project(project_file).tree]
    except BuildError:
        return paths  # fixing the project file itself is the next step
    while nodes:
        node = nodes.pop()
        if node.path is not None:
            paths.add(Path(os.path.normpath(project_file.parent / node.path)))
        nodes.extend(node.children.values())
    return paths
