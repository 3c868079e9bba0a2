"""Which Lua files become which scripts, and with which class and RunContext: Rojo 7.7's rules.

Rojo knows four script kinds by file name; the `legacy*`/`runContext*` script types it also has are
reachable only through a project's `syncRules`, which this builder refuses (see project.py).
"""

from __future__ import annotations

from typing import Literal

from dsm.plugin_build.model import Enum, Instance
from dsm.plugin_build.values import KNOWN_ENUMS

ScriptKind = Literal["module", "server", "client", "plugin"]

# A folder holding one of these becomes that script, its other entries the script's children; the
# first one present wins. Rojo 7.7's order, quirk included: it looks for init.plugin.lua before
# init.plugin.luau, where every other pair puts .luau first. (Rojo before 7.7 had no init.plugin.)
INIT_SCRIPTS: tuple[tuple[str, ScriptKind], ...] = (
    ("init.luau", "module"),
    ("init.lua", "module"),
    ("init.server.luau", "server"),
    ("init.server.lua", "server"),
    ("init.client.luau", "client"),
    ("init.client.lua", "client"),
    ("init.plugin.lua", "plugin"),
    ("init.plugin.luau", "plugin"),
)
INIT_SCRIPT_NAMES = frozenset(name for name, _ in INIT_SCRIPTS)

# Other Lua files by suffix, in Rojo's matching order: the kinded suffixes before plain `.lua`/`.luau`.
FILE_SUFFIXES: tuple[tuple[str, ScriptKind], ...] = (
    (".server.lua", "server"),
    (".server.luau", "server"),
    (".client.lua", "client"),
    (".client.luau", "client"),
    (".plugin.lua", "plugin"),
    (".plugin.luau", "plugin"),
    (".lua", "module"),
    (".luau", "module"),
)


def script_class(kind: ScriptKind, emit_legacy_scripts: bool) -> tuple[str, str | None]:
    """The class and RunContext item (None: no RunContext property at all) Rojo gives a `kind` script."""
    if kind == "module":
        return "ModuleScript", None
    if kind == "plugin":
        return "Script", "Plugin"  # the same with or without emitLegacyScripts
    if emit_legacy_scripts:
        return ("Script", "Legacy") if kind == "server" else ("LocalScript", None)
    return "Script", "Server" if kind == "server" else "Client"


def script_instance(name: str, kind: ScriptKind, source: str, emit_legacy_scripts: bool) -> Instance:
    """A script instance as Rojo snapshots it: `Source`, plus `RunContext` where its class takes one."""
    class_name, run_context = script_class(kind, emit_legacy_scripts)
    inst = Instance(class_name=class_name, name=name, properties={"Source": source})
    if run_context is not None:
        inst.properties["RunContext"] = Enum(KNOWN_ENUMS["RunContext"][run_context])
    return inst
