"""The plugin keeps no hand-written list of report types or settings: its built-in catalog is generated from the
companion's, and this fails when the two drift apart (run `python scripts/gen_catalog.py`)."""

from __future__ import annotations

import json
import sys

from studio_bed import REPO_ROOT

from dsm.catalog import catalog


def test_the_plugins_builtin_catalog_is_the_companions() -> None:
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    import gen_catalog

    text = gen_catalog.TARGET.read_text(encoding="utf-8")
    assert text == gen_catalog.render(), "BuiltinCatalog.luau is out of date: run python scripts/gen_catalog.py"
    embedded = json.loads(text.split("[==[", 1)[1].split("]==]", 1)[0])
    assert embedded == json.loads(json.dumps(catalog()))
    assert len(embedded["reportTypes"]) >= 7 and embedded["settings"]["anomalyDetection"]
