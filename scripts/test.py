"""Run every check the project has: `python scripts/test.py [pytest args]` (sets itself up first).

Steps: ruff (lint + format check), StyLua check of the Luau sources, then pytest over tests/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bootstrap import ROOT, ensure_venv, venv_bin

TOOLS = ROOT / ".tools"
PY_PATHS = ["server", "tests", "scripts"]
LUAU_PATHS = ["plugin/src", "tests/plugin"]


def step(title: str, command: list[str]) -> None:
    print(f"[test] {title}: {' '.join(command)}", flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"[test] {title} failed (exit {result.returncode})")


def stylua() -> Path | None:
    """StyLua from npm (`@johnnymorganz/stylua-bin`), installed into .tools on first use."""
    exe = TOOLS / "node_modules" / ".bin" / ("stylua.cmd" if os.name == "nt" else "stylua")
    if exe.exists():
        return exe
    npm = shutil.which("npm")
    if npm is None:
        return None
    print("[setup] installing StyLua from npm into .tools", flush=True)
    subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(TOOLS), "@johnnymorganz/stylua-bin"],
        cwd=ROOT,
        check=True,
    )
    return exe if exe.exists() else None


def main() -> None:
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__.strip())
        print("Arguments are passed to pytest, e.g. `python scripts/test.py tests/server -k edits -x`.")
        return
    ensure_venv("test")
    step("ruff lint", [str(venv_bin("ruff")), "check", *PY_PATHS])
    step("ruff format", [str(venv_bin("ruff")), "format", "--check", *PY_PATHS])
    luau = [p for p in LUAU_PATHS if (ROOT / p).exists()]
    if luau:
        exe = stylua()
        if exe is None:
            if os.environ.get("CI"):
                sys.exit("[test] StyLua is required in CI: install Node.js/npm")
            print("[test] skipping the StyLua check: npm is not installed", flush=True)
        else:
            step("stylua", [str(exe), "--check", *luau])
    step("pytest", [str(venv_bin("pytest")), *sys.argv[1:]])


if __name__ == "__main__":
    main()
