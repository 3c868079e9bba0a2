"""StudioBed: one Luau VM running the plugin inside one emulated Studio session.

The bed owns the virtual clock. It runs Luau threads until the one it waits for finishes, jumping the
clock to the next timer whenever every thread is waiting, and delivering real WebSocket traffic as it
arrives (while a request is unanswered, it waits for the network before moving virtual time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pluau

from . import loader, surface
from .clock import BedClock
from .net import NetThread
from .process import StudioProcess
from .render import Color, FontBook, Layout, Picture, from_lua, write_pngs
from .theme import StudioThemes, load_studio_themes

LUAU_DIR = Path(__file__).parent / "luau"
REPO_ROOT = Path(__file__).resolve().parents[3]
PLUGIN_SRC = REPO_ROOT / "plugin" / "src"
ARTIFACTS = REPO_ROOT / "artifacts"
PICTURES = ARTIFACTS / "pictures"  # where snapshots go (gitignored)
DEFAULT_PLACE_ID = 1818  # a published place (PlaceId 0 means unpublished: DataStores refuse)
DEFAULT_GAME_ID = 1818000
NET_GRACE = 5.0  # real seconds to wait for a reply before letting virtual time move on
DEFAULT_WIDGET_HEIGHT = 600  # a snapshot's height when the widget has no size yet
EMULATOR_FILES = ("core.luau", "services.luau", "webstream.luau", "inspect.luau", "spec.luau")
DATA_MODELS = ("Edit", "Server", "Client")  # Studio's Edit DataModel and a play-test's Server and Client


class LuauError(AssertionError):
    """An error raised by Luau code the bed was waiting for."""


class BedTimeout(AssertionError):
    """The awaited thread did not finish within the virtual or real time limit."""


def py_to_lua(lua: pluau.Lua, value: Any) -> Any:
    if isinstance(value, dict):
        table = lua.create_table()
        for k, v in value.items():
            table.set(str(k), py_to_lua(lua, v))
        return table
    if isinstance(value, (list, tuple)):
        table = lua.create_table()
        for i, v in enumerate(value, 1):
            table.raw_set(i, py_to_lua(lua, v))  # by index: a JSON null leaves a hole, as in Roblox
        return table
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return float(value)
    return value


def lua_to_py(value: Any, depth: int = 0) -> Any:
    """Tables with keys 1..n become lists, other tables dicts; strings str; other Luau values stay."""
    if depth > 50:
        raise ValueError("table too deep (cyclic?)")
    if isinstance(value, pluau.String):
        return value.as_bytes().decode("utf-8", "replace")
    if isinstance(value, pluau.Table):
        items = {lua_to_py(k, depth + 1): lua_to_py(v, depth + 1) for k, v in value}
        n = len(items)
        if n and all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in items):
            if sorted(items) == list(range(1, n + 1)):
                return [items[i] for i in range(1, n + 1)]
        if not n:
            return {}
        return items
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _reject_constant(name: str) -> None:
    raise ValueError(f"invalid JSON constant {name}")


class StudioBed:
    """An emulated Studio session with the plugin tree loaded (not yet started)."""

    def __init__(
        self,
        source: Path | str | Any = PLUGIN_SRC,
        *,
        user_id: int = 123456,
        settings: dict[str, Any] | None = None,
        players: int = 0,
        start_time: float | None = None,
        clock: BedClock | None = None,
        place_id: int = DEFAULT_PLACE_ID,
        game_id: int = DEFAULT_GAME_ID,
        root_name: str | None = None,
        spec_name: str = "Spec",
        data_model: str = "Edit",
        studio: StudioProcess | None = None,
    ) -> None:
        if data_model not in DATA_MODELS:
            raise ValueError(f"data_model must be one of {DATA_MODELS}, not {data_model!r}")
        # Beds given one StudioProcess are DataModels of one Studio: settings and WebStreamClient slots are shared.
        self.studio = studio if studio is not None else StudioProcess(settings=settings if settings is not None else {})
        self._owner = StudioProcess.new_owner()
        self.settings: dict[str, Any] = settings if settings is not None else self.studio.settings
        self.output: list[tuple[str, str]] = []
        self._net: NetThread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server_port: int | None = None
        self.themes: StudioThemes | None = load_studio_themes(REPO_ROOT)
        self._fonts: FontBook | None = None
        self._last_layout: Layout | None = None
        self.lua = pluau.Lua()
        self.lua.set_memory_limit(512 * 1024 * 1024)
        self._deadline = math.inf
        self._interrupted = False
        self.lua.set_interrupt(self._interrupt)
        self.env = self._make_env()
        self._call("defineEnums", self._load_surface().get("enums"))
        self._call("buildClasses", self._surface)
        # A shared clock (a companion that outlives this Studio session) goes on from where it stands.
        self.clock = clock if clock is not None else BedClock()
        if start_time is not None:
            self.clock.at = float(start_time)
        self._unix_start = self.clock.at
        self.env.get("Clock").set("unixStart", self._unix_start)
        self._call("bootStudio", user_id, "Place1", place_id, game_id, data_model)
        self._call("buildGlobals")
        self.env.get("DS").set("players", players)
        if root_name is None and isinstance(source, (str, Path)):
            root_name = "DataStoreManagerPro"  # the project name, as Rojo names the built root
        self.root = self._instantiate(loader.load(source, root_name), None)
        self.env.set("PLUGIN_ROOT", self.root)
        # The spec's own `script`: a ModuleScript outside the plugin tree, so specs never show up in it.
        self._spec_script = self._call("newInstance", "ModuleScript", self._table({"Name": spec_name}))[0]

    # ------------------------------------------------------------------ setup
    def _interrupt(self, *_args: Any) -> pluau.VmState:
        # Studio stops a script that runs too long without yielding; so does the bed (at the real limit).
        # Raising here crashes the VM inside coroutines. Asking for a yield suspends the looping thread
        # (or, outside any thread, aborts the call with an error); the drive loop then reports the timeout.
        if time.monotonic() > self._deadline:
            self._interrupted = True
            return pluau.VmState.Yield
        return pluau.VmState.Continue

    def _table(self, value: Any) -> Any:
        return py_to_lua(self.lua, value)

    def _call(self, name: str, *args: Any) -> list[Any]:
        fn = self.env.get(name)
        return fn.call(*args)

    def _make_env(self) -> pluau.Table:
        lua = self.lua
        env = lua.create_table()
        meta = lua.create_table()
        meta.set("__index", lua.globals())
        env.set_metatable(meta)
        env.set("_ENVIRONMENT_STD", lua.globals())
        env.set("_G_EMU", env)
        env.set("PY", self._bridge())
        for name in EMULATOR_FILES:
            source = (LUAU_DIR / name).read_text(encoding="utf-8")
            lua.load_chunk(source, name=f"=studio_bed/{name}", env=env).call()
        return env

    def _load_surface(self) -> pluau.Table:
        chunk = self.lua.load_chunk(surface.luau_source(), name="=studio_bed/surface", env=self.env)
        self._surface = chunk.call()[0]
        return self._surface

    def _instantiate(self, node: loader.Node, parent: Any) -> Any:
        props = {k: v for k, v in node.properties.items() if isinstance(v, (str, int, float, bool))}
        props["Name"] = node.name
        if node.class_name not in surface.CLASSES:
            raise ValueError(f"{node.name}: class {node.class_name} is not emulated (see studio_bed/surface.py)")
        inst = self._call("newInstance", node.class_name, self._table(props))[0]
        for child in node.children:
            self._instantiate(child, inst)
        if parent is not None:
            self._call("setParent", inst, parent)
        return inst

    def _bridge(self) -> pluau.Table:
        lua = self.lua
        py = lua.create_table()

        def fn(name: str, impl: Any) -> None:
            py.set(name, lua.create_function(lambda _lua, args: impl(*args)))

        def compile_(source: Any, chunk_name: Any, env: pluau.Table) -> list[Any]:
            return [lua.load_chunk(str(source), name="=" + str(chunk_name), env=env)]

        def json_decode(text: Any) -> list[Any]:
            try:
                value = json.loads(str(text), parse_constant=_reject_constant)
            except ValueError as exc:
                raise pluau.RawError(f"Can't parse JSON: {exc}") from None
            return [py_to_lua(lua, value)]

        def output(kind: Any, text: Any) -> list[Any]:
            self.output.append((str(kind), str(text)))
            return []

        def get_setting(key: Any) -> list[Any]:
            key = str(key)
            return [json.dumps(self.settings[key])] if key in self.settings else [None]

        def set_setting(key: Any, text: Any = None) -> list[Any]:
            if text is None:
                self.settings.pop(str(key), None)  # SetSetting(key, nil) removes the key, as in Studio
            else:
                self.settings[str(key)] = json.loads(str(text))
            return []

        def days_from_civil(y: Any, m: Any, d: Any) -> list[Any]:
            return [(dt.date(int(y), int(m), int(d)) - dt.date(1970, 1, 1)).days]

        fn("compile", compile_)
        fn("jsonDecode", json_decode)
        fn("guid", lambda: [str(uuid.uuid4()).upper()])
        fn("output", output)
        fn("outputLines", lambda: [py_to_lua(lua, [{"kind": k, "text": t} for k, t in self.output])])
        fn("getSetting", get_setting)
        fn("setSetting", set_setting)
        fn("settingsJson", lambda: [json.dumps(self.settings)])
        fn("daysFromCivil", days_from_civil)
        fn("wsReserve", lambda sid: [self.studio.reserve(self._owner, int(sid))])
        fn("wsRelease", lambda sid: self.studio.release(self._owner, int(sid)) or [])
        fn("wsCreate", lambda sid, url: self.net.create(int(sid), str(url)) or [])
        fn("wsOpen", lambda sid, answer_pings: self.net.open(int(sid), bool(answer_pings)) or [])
        fn("wsSend", lambda sid, text: self.net.send(int(sid), str(text)) or [])
        fn("wsClose", lambda sid: self.net.close(int(sid)) or [])
        fn("wsAbandon", lambda sid: self.net.abandon(int(sid)) or [])

        def theme_color(theme: Any, item: Any, modifier: Any) -> list[Any]:
            if self.themes is None:
                return []
            try:
                return list(self.themes.color(str(theme), str(item), str(modifier)))
            except KeyError as exc:
                raise pluau.RawError(str(exc)) from None

        def layout_pass(target: Any, width: Any, height: Any) -> list[Any]:
            w = None if width is None else float(width)
            h = None if height is None else float(height)
            return [self._layout_pass(target, w, h)]

        fn("serverUrl", lambda: [self.server_url()])
        fn("themeColor", theme_color)
        fn("layoutPass", layout_pass)
        fn("writeSnapshot", lambda name: [str(self._write_last(str(name)))])
        fn("socketLog", lambda: [py_to_lua(lua, self.sockets)])
        fn("openWebStreams", lambda: [self.studio.open_web_streams])
        return py

    # ------------------------------------------------------------------ network
    @property
    def net(self) -> NetThread:
        if self._net is None:
            self._net = NetThread()
        return self._net

    def server_url(self) -> str:
        """ws:// URL of a real companion server started for this bed (on a temp SQLite file)."""
        if self._server_port is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="studio-bed-")
            self._server_port = self.net.start_companion(Path(self._tmp.name) / "dsm.sqlite3", self.clock)
        return f"ws://127.0.0.1:{self._server_port}/ws"

    @property
    def sockets(self) -> list[dict[str, Any]]:
        if self._net is None:
            return []
        return [
            {
                "url": s.url,
                "state": s.state,
                "sent": list(s.sent),
                "received": list(s.received),
                "ignoredPings": s.ignored_pings,
            }
            for _, s in sorted(self._net.sockets.items())
        ]

    def _deliver(self, event: tuple[str, int, Any, Any]) -> None:
        kind, sid, a, b = event
        self._call("deliverSocketEvent", sid, kind, a, b)

    def _pump(self) -> bool:
        if self._net is None:
            return False
        # One event per scheduler step, so the handlers of one frame run before the next arrives.
        if self._net.events.empty():
            return False
        self._deliver(self._net.events.get_nowait())
        return True

    def _wait_network(self, timeout: float) -> bool:
        if self._net is None or timeout <= 0:
            return False
        try:
            event = self._net.events.get(timeout=timeout)
        except Exception:
            return False
        self._deliver(event)
        return True

    # ------------------------------------------------------------------ driving
    @property
    def now(self) -> float:
        return float(self.env.get("Clock").get("now"))

    def _run(self, starter: str, arg: Any, *, virtual_limit: float = 3600.0, real_limit: float = 20.0) -> pluau.Table:
        """Start a watched thread (`startThread`/`startTest`) and drive the scheduler until it ends."""
        clock = self.env.get("Clock")
        step = self.env.get("Sched").get("step")
        real_end = time.monotonic() + real_limit
        virtual_end = self.now + virtual_limit
        self._deadline = real_end
        self._interrupted = False
        try:
            rec = self._call(starter, arg)[0]
            self._drive_until(rec, clock, step, real_end, virtual_end, real_limit, virtual_limit)
        except RuntimeError as exc:
            if self._interrupted:
                raise BedTimeout(
                    f"Script timeout: Luau ran past the {real_limit} s real-time limit without yielding "
                    f"(an endless loop?)\n{exc}"
                ) from None
            raise
        finally:
            self._deadline = math.inf
        if rec.get("ok") is False:
            raise LuauError(f"{rec.get('error')}\n{rec.get('traceback')}")
        return rec

    def _drive_until(
        self,
        rec: pluau.Table,
        clock: pluau.Table,
        step: pluau.Function,
        real_end: float,
        virtual_end: float,
        real_limit: float,
        virtual_limit: float,
    ) -> None:
        while True:
            nxt = step.call()[0]
            if rec.get("done"):
                break
            if self._pump():
                continue
            remaining = real_end - time.monotonic()
            if remaining <= 0:
                raise BedTimeout(f"still running after {real_limit} real seconds\n{self._trace(rec)}")
            if self._net is not None and self._net.busy():
                if self._wait_network(min(NET_GRACE, remaining)):
                    continue
            if nxt is None:
                if self._net is not None and self._net.any_open():
                    if self._wait_network(min(NET_GRACE, remaining)):
                        continue
                raise BedTimeout(f"waiting forever: no timers and no network events can resume it\n{self._trace(rec)}")
            if nxt > virtual_end:
                raise BedTimeout(f"still running after {virtual_limit} virtual seconds\n{self._trace(rec)}")
            before = self.now
            moved = max(float(nxt), before)
            clock.set("now", moved)
            self.clock.at = self._unix_start + moved
            if self._net is not None:
                self._net.jump(moved - before)  # the companion's and sockets' timers see the same time pass

    def _trace(self, rec: pluau.Table) -> str:
        return str(self._call("threadTrace", rec)[0])

    def _chunk(self, code: str, name: str) -> pluau.Function:
        env = self._call("scriptEnv", self._spec_script, self._call("specGlobals", self.root)[0])[0]
        return self.lua.load_chunk(code, name="=" + name, env=env)

    def eval(self, code: str, *, virtual_limit: float = 3600.0, real_limit: float = 20.0) -> list[Any]:
        """Run Luau code (with Plugin, TestBed and the Roblox globals) to completion; return its results."""
        rec = self._run("startThread", self._chunk(code, "eval"), virtual_limit=virtual_limit, real_limit=real_limit)
        results = rec.get("results")
        return [lua_to_py(results.get(i)) for i in range(1, int(results.get("n")) + 1)]

    def load_spec(self, path: Path) -> list[dict[str, Any]]:
        """Run a spec file's top level (registers its tests); returns [{id, skip}]."""
        code = Path(path).read_text(encoding="utf-8")
        self._run("startThread", self._chunk(code, Path(path).name), virtual_limit=60.0)
        return lua_to_py(self._call("listTests")[0]) or []

    def run_test(self, test_id: str, *, virtual_limit: float = 3600.0, real_limit: float = 20.0) -> None:
        self._run("startTest", test_id, virtual_limit=virtual_limit, real_limit=real_limit)

    @property
    def errors(self) -> list[str]:
        """Errors thrown in background threads (not yet taken)."""
        return [lua_to_py(e)["traceback"] for _, e in self.env.get("Sched").get("errors")]

    def take_errors(self) -> list[str]:
        errors = self.errors
        self.env.get("Sched").set("errors", self.lua.create_table())
        return errors

    def start_plugin(self) -> None:
        self.eval("TestBed.startPlugin()")

    def advance(self, seconds: float) -> None:
        self.eval(f"TestBed.advance({float(seconds)!r})", virtual_limit=seconds + 60)

    def flush(self) -> None:
        self.eval("TestBed.flush()")

    def seed(
        self,
        name: str,
        key: str,
        value: Any,
        *,
        scope: str = "global",
        user_ids: tuple[int, ...] | list[int] = (),
        metadata: dict[str, Any] | None = None,
        at: float | None = None,
    ) -> None:
        """Store a value in the emulated DataStores as if a game wrote it."""
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("value must be JSON-encodable")
        self._call(
            "seedDataStore",
            name,
            key,
            json.dumps(value),
            scope,
            self._table(list(user_ids)),
            self._table(metadata or {}),
            at,
        )

    def seed_ordered(self, name: str, key: str, value: int, *, scope: str = "global") -> None:
        """Store a whole number in an emulated OrderedDataStore as if a game wrote it."""
        self._call("seedOrdered", name, key, value, scope)

    # ------------------------------------------------------------------ theme and pictures
    def set_theme(self, name: str) -> None:
        """Switches Studio's theme ("Dark" or "Light"); fires `settings().Studio.ThemeChanged`."""
        self.eval(f"TestBed.setTheme({json.dumps(name)})")

    @property
    def theme_name(self) -> str:
        return str(self.eval("return settings().Studio.Theme.Name")[0])

    @property
    def fonts(self) -> FontBook:
        if self._fonts is None:
            self._fonts = FontBook()
        return self._fonts

    def _target(self, target: Any) -> Any:
        if isinstance(target, str):
            found = self.eval(f"return TestBed.widget({json.dumps(target)})")
            if not found:
                raise ValueError(f"no dock widget with id {target!r}")
            return found[0]
        return target

    def _layout_pass(self, target: Any, width: float | None, height: float | None) -> str:
        """Reads the tree under `target`, lays it out, writes Absolute* back; returns a digest of the geometry."""
        if str(self._call("rbxTypeof", target)[0]) != "Instance":
            raise pluau.RawError("layout: an Instance or a dock widget id is expected")
        is_widget = bool(self._call("isWidget", target)[0])
        current = self._call("getWidgetSize", target) if is_widget else []
        w = width if width is not None else (float(current[0]) if current and current[0] else 900.0)
        h = height if height is not None else (float(current[1]) if current and current[1] else DEFAULT_WIDGET_HEIGHT)
        if is_widget:
            self._call("setWidgetSize", target, w, h)
        root = from_lua(lua_to_py(self._call("guiTree", target)[0]))
        layout = Layout(root, w, h, self.fonts)
        props = layout.absolute_props()
        self._call("applyLayout", self._table(props))
        self._last_layout = layout
        return hashlib.sha256(json.dumps(props, sort_keys=True).encode()).hexdigest()

    def layout(self, target: Any, width: float | None = None, height: float | None = None) -> Layout:
        """Lays out a dock widget (by id or instance) or any GUI instance as Studio would, at width x height.

        A dock widget takes that size (its AbsoluteSize changes, as when the user resizes it; default: its current
        size, else 900 x 600). AbsolutePosition, AbsoluteSize, TextBounds, AbsoluteContentSize and the canvas sizes are
        written back; if their change handlers alter the tree, it is laid out again (at most four passes).
        """
        instance = self._target(target)
        previous = None
        for _ in range(4):
            signature = self._layout_pass(instance, width, height)
            if signature == previous:
                break
            previous = signature
            self.flush()
        assert self._last_layout is not None
        return self._last_layout

    def _background(self) -> Color:
        """The current theme's MainBackground: what Studio paints behind a dock widget's content."""
        r, g, b = self._call("mainBackground")
        return Color(float(r), float(g), float(b))

    def capture(
        self,
        target: Any,
        name: str,
        *,
        width: float | None = None,
        height: float | None = None,
        theme: str | None = None,
    ) -> Picture:
        """A laid-out picture of `target` (in `theme` if given, which stays switched) for `write_pngs`."""
        if theme is not None and theme != self.theme_name:
            self.set_theme(theme)
        layout = self.layout(target, width, height)
        return Picture(name, layout, self._background())

    def snapshot(
        self,
        target: Any,
        name: str,
        *,
        width: float | None = None,
        height: float | None = None,
        theme: str | None = None,
        out_dir: Path = PICTURES,
    ) -> Path:
        """Writes `<out_dir>/<name>.png` and `.html` of a dock widget (id or instance) or a GUI instance.

        Returns the PNG's path. For many pictures, `capture` each and render them in one `write_pngs` call.
        """
        picture = self.capture(target, name, width=width, height=height, theme=theme)
        return write_pngs([picture], out_dir, self.fonts)[0]

    def _write_last(self, name: str) -> Path:
        if self._last_layout is None:
            raise pluau.RawError("TestBed.snapshot: nothing laid out yet")
        return write_pngs([Picture(name, self._last_layout, self._background())], PICTURES, self.fonts)[0]

    def datastore_value(self, name: str, key: str, scope: str = "global") -> Any:
        text = self._call("dataStoreJson", name, key, scope)[0]
        return None if text is None else json.loads(str(text))

    def close(self) -> None:
        self.studio.release_all(self._owner)
        if self._net is not None:
            self._net.stop()
            self._net = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> StudioBed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
