"""Run the companion server: `python scripts/serve.py [dsm serve options]` (sets itself up first).

Ctrl+C reaches the server as well (it shares the console): this wrapper then waits for the server's
graceful shutdown (answers in flight, pending writes committed) and exits with the server's status.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from bootstrap import ensure_venv, venv_bin

INTERRUPTED = 130


def wait_for(server: subprocess.Popen[bytes]) -> int:
    """The server's exit status; Ctrl+C here never cuts its shutdown short."""
    while True:
        try:
            return server.wait()
        except KeyboardInterrupt:
            # In a console Ctrl+C goes to both processes. When only this one got it (a signal sent to the
            # wrapper alone), pass it on; a second SIGINT to a server already stopping changes nothing.
            if os.name != "nt":
                server.send_signal(signal.SIGINT)


def main(args: list[str]) -> int:
    try:
        ensure_venv()
    except KeyboardInterrupt:
        print("serve.py: interrupted while setting up .venv; run it again to finish", file=sys.stderr)
        return INTERRUPTED
    server = subprocess.Popen([str(venv_bin("dsm")), "serve", *args])
    if os.name != "nt":
        signal.signal(signal.SIGTERM, lambda _sig, _frame: server.terminate())
    return wait_for(server)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
