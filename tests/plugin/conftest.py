"""Collects Luau specs (one pytest item per `it`) and provides the `bed` and `companion` fixtures.

`specs/*.spec.luau` run against the real plugin (`plugin/src`); `emulation_specs/*.spec.luau` run
against the small fixture plugin in `fixtures/mini_plugin`. See README.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.net import Companion

HERE = Path(__file__).parent
FIXTURE_PLUGIN = HERE / "fixtures" / "mini_plugin"
SPEC_SUFFIX = ".spec.luau"


def _plugin_for(path: Path) -> Path:
    return FIXTURE_PLUGIN if path.parent.name == "emulation_specs" else PLUGIN_SRC


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(SPEC_SUFFIX) and file_path.parent.parent == HERE:
        return LuauSpecFile.from_parent(parent, path=file_path)
    return None


class LuauSpecFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            with StudioBed(_plugin_for(self.path), spec_name=self.path.name.removesuffix(".luau")) as bed:
                tests = bed.load_spec(self.path)
        except Exception as exc:  # a spec file that fails to load is one failing item
            yield LuauLoadError.from_parent(self, name="<load>", error=exc)
            return
        if not tests:
            yield LuauLoadError.from_parent(self, name="<load>", error=AssertionError("spec file defines no tests"))
        for test in tests:
            yield LuauSpecItem.from_parent(self, name=test["id"], test_id=test["id"], skip=bool(test["skip"]))


class LuauSpecItem(pytest.Item):
    def __init__(self, *, test_id: str, skip: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test_id = test_id
        self.skip = skip

    def runtest(self) -> None:
        if self.skip:
            pytest.skip("it.skip")
        spec = self.path
        with StudioBed(_plugin_for(spec), spec_name=spec.name.removesuffix(".luau")) as bed:
            bed.load_spec(spec)
            bed.run_test(self.test_id)
            errors = bed.take_errors()
            if errors:
                raise AssertionError("errors in background threads:\n" + "\n\n".join(errors))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, AssertionError):
            return f"{self.path.name} :: {self.test_id}\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name}::{self.test_id}"


class LuauLoadError(pytest.Item):
    def __init__(self, *, error: BaseException, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise AssertionError(f"{self.path.name} failed to load:\n{self.error}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name}::<load>"


@pytest.fixture
def bed() -> Iterator[StudioBed]:
    """A StudioBed on the real plugin sources (not started)."""
    with StudioBed(PLUGIN_SRC) as b:
        yield b


@pytest.fixture
def mini_bed() -> Iterator[StudioBed]:
    """A StudioBed on the fixture plugin in fixtures/mini_plugin."""
    with StudioBed(FIXTURE_PLUGIN) as b:
        yield b


@pytest.fixture
def companion(tmp_path: Path) -> Iterator[Companion]:
    """A real `dsm` companion server on a free port, served from a background thread."""
    with Companion(tmp_path / "dsm.sqlite3") as running:
        yield running
