"""Benchmark (not a test): build time of the real plugin and edit-to-installed latency under `--watch`.

Run: .venv/bin/python tests/plugin_build/bench_watch.py [edits]
Target: each edit is in the installed plugin file within one second.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from dsm.plugin_build import build_tree, read_rbxmx
from dsm.plugin_build.install import install
from dsm.plugin_build.watch import watch

REPO = Path(__file__).resolve().parents[1]


def main(edits: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(REPO / "plugin", work / "plugin")
        shutil.copy(REPO / "default.project.json", work)
        project = work / "default.project.json"

        times = []
        for _ in range(20):
            started = time.perf_counter()
            root = build_tree(project).root
            times.append((time.perf_counter() - started) * 1000)
        print(f"build_tree: {root.count()} instances, median {statistics.median(times):.1f} ms over 20 builds")

        lines: list[str] = []
        stop = threading.Event()
        plugins = work / "Plugins"
        thread = threading.Thread(
            target=watch, args=(lambda: install(project, plugins), project), kwargs={"emit": lines.append, "stop": stop}
        )
        thread.start()
        while not any(line.startswith("watching") for line in lines):
            time.sleep(0.01)
        target = next(p for p in (work / "plugin" / "src").rglob("*.luau") if p.name != "init.server.luau")
        original = target.read_text()
        latencies = []
        for i in range(edits):
            marker = f"\n-- bench edit {i}\n"
            target.write_text(original + marker)
            started = time.perf_counter()
            while True:
                node = next(
                    d for d in read_rbxmx(plugins / "DataStoreManagerPro.rbxmx").descendants() if d.name == target.stem
                )
                if str(node.properties["Source"]).endswith(marker):
                    break
                time.sleep(0.005)
            latencies.append((time.perf_counter() - started) * 1000)
        stop.set()
        thread.join()
        print(
            f"watch: {edits} edits of {target.name}, edit->installed median {statistics.median(latencies):.0f} ms, "
            f"max {max(latencies):.0f} ms (target < 1000 ms)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("edits", nargs="?", type=int, default=10, help="edits to time")
    main(parser.parse_args().edits)
