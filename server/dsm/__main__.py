"""Allows `python -m dsm`."""

from dsm.cli import main

raise SystemExit(main())
