"""Creates or refreshes the project's virtual environment (.venv) so the other scripts can run.

Shared by scripts/serve.py and scripts/test.py: each one sets itself up on a fresh machine.
The install is skipped when pyproject.toml has not changed since the last one.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
MIN_PYTHON = (3, 12)


def venv_bin(name: str) -> Path:
    """Path of an executable inside the project's virtual environment, on Windows or POSIX."""
    if os.name == "nt":
        return VENV / "Scripts" / f"{name}.exe"
    return VENV / "bin" / name


def _stamp(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return f"{digest}:{extras}"


def ensure_venv(extras: str = "") -> Path:
    """Make sure .venv exists with the project installed (editable) plus the given extras."""
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"DataStore Manager Pro needs Python {'.'.join(map(str, MIN_PYTHON))}+, this is {sys.version}")
    python = venv_bin("python")
    if not python.exists():
        print(f"[setup] creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    stamp_file = VENV / ".dsm-installed"
    wanted = _stamp(extras)
    have = stamp_file.read_text() if stamp_file.exists() else ""
    # An install with the test extras also serves a plain run: only a changed pyproject forces a redo.
    if have != wanted and not (have.startswith(wanted.split(":")[0]) and not extras):
        target = f".[{extras}]" if extras else "."
        print(f"[setup] installing {target} into {VENV}", flush=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target],
            cwd=ROOT,
            check=True,
        )
        stamp_file.write_text(wanted)
    return python


if __name__ == "__main__":
    ensure_venv(sys.argv[1] if len(sys.argv) > 1 else "")
