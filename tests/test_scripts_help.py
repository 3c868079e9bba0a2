"""Every script a user or developer runs answers `--help` without doing its work: a script that cannot even be
imported (a moved module, a missing path) fails here, not in the hands of whoever runs the benchmark next."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
LIBRARIES = {"bootstrap.py"}  # imported by the others, not run
COMMANDS = sorted(p.name for p in SCRIPTS.glob("*.py") if p.name not in LIBRARIES)


def test_the_scripts_are_found() -> None:
    assert {"serve.py", "test.py", "bench_find.py", "bench_load.py"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_script_answers_help(name: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / name), "--help"], capture_output=True, text=True, timeout=120, cwd=SCRIPTS.parent
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stdout.strip(), f"{name} --help printed nothing"
