"""Run the companion server: `python scripts/serve.py [dsm serve options]` (sets itself up first)."""

from __future__ import annotations

import subprocess
import sys

from bootstrap import ensure_venv, venv_bin

if __name__ == "__main__":
    ensure_venv()
    raise SystemExit(subprocess.call([str(venv_bin("dsm")), "serve", *sys.argv[1:]]))
