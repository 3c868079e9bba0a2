"""`dsm plugin build|install [--watch]`: argument parsing only; the work is in install.py and watch.py."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from dsm.plugin_build.install import Built, build, install, studio_plugins_dir
from dsm.plugin_build.model import BuildError

DEFAULT_PROJECT = Path("default.project.json")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    plugin = sub.add_parser(
        "plugin",
        help="build the Studio plugin file or install it into Studio",
        description="Build DataStore Manager Pro's Studio plugin from its Rojo project, without Rojo.",
    )
    cmds = plugin.add_subparsers(dest="plugin_command", required=True, metavar="COMMAND")

    b = cmds.add_parser(
        "build",
        help="write the plugin as an .rbxmx model file",
        description="Build the Rojo project into an .rbxmx file, as `rojo build --plugin` would.",
    )
    _common(b)
    b.add_argument(
        "-o", "--output", type=Path, default=None, help="file to write (default: <project name>.rbxmx, here)"
    )
    b.set_defaults(func=_build)

    i = cmds.add_parser(
        "install",
        help="build the plugin into Studio's local Plugins folder",
        description="Build the plugin into Roblox Studio's local Plugins folder "
        r"(%LOCALAPPDATA%\Roblox\Plugins on Windows, ~/Documents/Roblox/Plugins on macOS).",
    )
    _common(i)
    i.add_argument("--dir", type=Path, default=None, help="Plugins folder to install into (required off Windows/macOS)")
    i.set_defaults(func=_install)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--project", type=Path, default=DEFAULT_PROJECT, help=f"Rojo project file (default: {DEFAULT_PROJECT})"
    )
    p.add_argument("--watch", action="store_true", help="keep running and rebuild within a second of each change")


def _build(args: argparse.Namespace) -> int:
    return _run(args, lambda: build(args.project, args.output), "build")


def _install(args: argparse.Namespace) -> int:
    try:
        target = args.dir or studio_plugins_dir()
    except BuildError as exc:
        print(f"dsm plugin install: {exc}", file=sys.stderr)
        return 2
    return _run(args, lambda: install(args.project, target), "install")


def _run(args: argparse.Namespace, action: Callable[[], Built], name: str) -> int:
    if args.watch:
        from dsm.plugin_build.watch import watch

        if not getattr(args, "verbose", False):  # our one line per rebuild says it already
            logging.getLogger("watchfiles").setLevel(logging.WARNING)

        try:
            watch(action, args.project, emit=lambda line: print(line, flush=True))
        except KeyboardInterrupt:
            pass
        return 0
    try:
        built = action()
    except BuildError as exc:
        print(f"dsm plugin {name}: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {built.output} ({built.result.root.count()} instances, {built.size} bytes)")
    return 0
