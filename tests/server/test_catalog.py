"""The catalog in the `hello` reply, over a real WebSocket: every report type the server generates with every
option it takes (and nothing else), every setting with a default that is what a new user gets and a range or
choice list that `settings.update` enforces."""

from __future__ import annotations

from typing import Any

import pytest

from dsm.link.client import LinkClient, LinkError
from dsm.reports import custom, engine
from dsm.store.reports import REPORT_TYPES

DAY = 86400.0


async def _catalog(connect: Any, user_id: int = 1) -> tuple[LinkClient, dict[str, Any]]:
    client = await connect(None)
    reply = await client.hello(user_id)
    return client, reply["catalog"]


def _options_of(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert isinstance(entry["options"], dict) and entry["options"], entry["type"]
    return entry["options"]


async def test_hello_catalog_lists_every_report_type_the_server_generates(connect: Any) -> None:
    _, catalog = await _catalog(connect)
    assert set(catalog) == {"reportTypes", "settings", "settingSections"}
    types = [t["type"] for t in catalog["reportTypes"]]
    assert types == list(REPORT_TYPES) and set(types) == set(engine.BUILDERS)
    for entry in catalog["reportTypes"]:
        assert entry["title"] and entry["description"] and entry["defaultPeriod"]["seconds"] > 0
        orders = sorted(o["order"] for o in _options_of(entry).values())
        assert orders == list(range(len(orders)))
        for name, option in _options_of(entry).items():
            assert option["type"] in (
                "time",
                "date",
                "integer",
                "number",
                "string",
                "enum",
                "report",
                "snapshot",
                "object",
            )
            assert option["label"], name
            for other in option.get("requires", []) + option.get("requiresAny", []) + option.get("excludes", []):
                assert other in entry["options"], (entry["type"], name, other)
    custom_entry = next(t for t in catalog["reportTypes"] if t["type"] == "CUSTOM_ANALYSIS")
    analyses = [a["name"] for a in custom_entry["analyses"]]
    assert analyses == list(custom.ANALYSES) == custom_entry["options"]["analysis"]["choices"]
    assert custom_entry["options"]["analysis"]["default"] == analyses[0]
    for analysis in custom_entry["analyses"]:
        assert analysis["title"] and analysis["parameters"], analysis["name"]


def _defaults(options: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: option["default"] for name, option in options.items() if "default" in option}


async def _generate(client: LinkClient, report_type: str, options: dict[str, Any]) -> dict[str, Any]:
    return (await client.call("reports.generate", {"type": report_type, "options": options}))["report"]


async def test_every_type_and_analysis_generates_with_the_catalogs_own_defaults(connect: Any) -> None:
    client, catalog = await _catalog(connect)
    made = []
    for entry in catalog["reportTypes"]:
        report = await _generate(client, entry["type"], _defaults(entry["options"]))
        assert report["type"] == entry["type"] and report["body"]["metrics"] is not None
        made.append(report["type"])
        for analysis in entry.get("analyses", []):
            options = _defaults(entry["options"]) | {"analysis": analysis["name"]}
            options |= {"parameters": _defaults(analysis["parameters"]), "filters": _defaults(analysis["filters"])}
            report = await _generate(client, entry["type"], options)
            assert report["title"].lower().startswith(f"custom analysis: {analysis['title'].lower()}")
    assert made == list(REPORT_TYPES)


def _closure(name: str, options: dict[str, dict[str, Any]]) -> list[str]:
    """An option with every option it needs (its `requires`, and one of its `requiresAny` unless one is there)."""
    out, todo = [], [name]
    while todo:
        current = todo.pop()
        if current in out:
            continue
        out.append(current)
        todo += options[current].get("requires", [])
        any_of = options[current].get("requiresAny", [])
        if not set(any_of) & set(out + todo):
            todo += any_of[:1]
    return out


def _sample(option: dict[str, Any], ids: dict[str, str], now: float) -> Any:
    """A valid value of an option, as its declaration describes it (times grow with the option's order)."""
    kind = option["type"]
    if kind == "time":
        return now - 30 * DAY + option["order"] * DAY
    if kind in ("integer", "number"):
        return option.get("default", option.get("min", 1))
    samples = {"date": "2026-06-01", "enum": (option.get("choices") or [""])[0], "string": "PlayerData"}
    samples |= {"report": ids["report"], "snapshot": ids["snapshot"], "object": {}}
    return samples[kind]


async def _accepts(client: LinkClient, report_type: str, wrap: Any, options: dict[str, Any]) -> None:
    report = await _generate(client, report_type, wrap(options))
    assert report["type"] == report_type


async def _refuses(client: LinkClient, report_type: str, options: dict[str, Any], field: str) -> None:
    with pytest.raises(LinkError) as caught:
        await _generate(client, report_type, options)
    assert caught.value.code == "invalid_body" and caught.value.error["message"].startswith(f"{field}:"), (
        caught.value.error
    )


async def _check_fields(
    client: LinkClient, report_type: str, declared: dict[str, dict[str, Any]], wrap: Any, path: str, ctx: dict
) -> int:
    """Each declared field with the fields it needs is accepted; a value past its range is refused."""
    checked = 0
    for name, option in declared.items():
        if option["type"] == "object":
            continue
        values = {n: _sample(declared[n], ctx["ids"], ctx["now"]) for n in _closure(name, declared)}
        for choice in option.get("choices", [values[name]]):
            await _accepts(client, report_type, wrap, values | {name: choice})
        for bound, step in (("min", -1), ("max", 1)):
            if bound in option:
                await _accepts(client, report_type, wrap, values | {name: option[bound]})
                await _refuses(client, report_type, wrap(values | {name: option[bound] + step}), f"{path}.{name}")
        checked += 1
    return checked


async def test_every_option_in_the_catalog_is_accepted_and_range_checked(connect: Any, clock: Any) -> None:
    client, catalog = await _catalog(connect)
    report = await _generate(client, "DAILY_SUMMARY", {})
    snapshot = (await client.call("history.snapshot", {"label": "before"}))["snapshot"]
    ctx = {"ids": {"report": report["id"], "snapshot": snapshot["id"]}, "now": clock()}
    checked = 0
    for entry in catalog["reportTypes"]:
        checked += await _check_fields(client, entry["type"], entry["options"], lambda o: o, "options", ctx)
        for analysis in entry.get("analyses", []):
            for part in ("parameters", "filters"):

                def wrap(o: dict[str, Any], a: str = analysis["name"], p: str = part) -> dict[str, Any]:
                    return {"analysis": a, p: o}

                checked += await _check_fields(client, entry["type"], analysis[part], wrap, f"options.{part}", ctx)
    assert checked >= 30


async def test_an_option_not_in_the_catalog_is_refused(connect: Any) -> None:
    client, catalog = await _catalog(connect)
    every_name = {n for entry in catalog["reportTypes"] for n in entry["options"]} | {"bogus"}
    for entry in catalog["reportTypes"]:
        foreign = sorted(every_name - set(entry["options"]))
        assert foreign
        for name in foreign:
            await _refuses(client, entry["type"], {name: 1}, f"options.{name}")
        for analysis in entry.get("analyses", []):
            for part in ("parameters", "filters"):
                names = {n for a in entry["analyses"] for n in a[part]} | {"bogus"}
                for name in sorted(names - set(analysis[part])):
                    options = {"analysis": analysis["name"], part: {name: "x"}}
                    await _refuses(client, entry["type"], options, f"options.{part}.{name}")
    assert (await client.call("reports.list", {}))["reports"] == []


async def test_every_setting_default_is_what_a_new_user_gets(connect: Any) -> None:
    client, catalog = await _catalog(connect, user_id=77)
    settings = catalog["settings"]
    assert "anomalyDetection" in settings and "zThreshold" in settings["anomalyDetection"]
    got = (await client.call("settings.get"))["settings"]
    assert {s: {k: spec["default"] for k, spec in keys.items()} for s, keys in settings.items()} == got
    for section, keys in settings.items():
        assert keys, section
        for key, spec in keys.items():
            assert set(spec) <= {"type", "default", "min", "max", "choices", "maxLength", "label", "order"}, key
            assert spec["type"] in ("boolean", "number", "integer", "string", "enum") and spec["label"]
        assert sorted(spec["order"] for spec in keys.values()) == list(range(len(keys))), section


async def test_every_settings_section_has_a_title_in_the_order_views_show_them(connect: Any) -> None:
    _, catalog = await _catalog(connect)
    listed = catalog["settingSections"]
    assert listed, "no settings sections"
    assert [entry["name"] for entry in listed] == list(catalog["settings"])
    for entry in listed:
        assert set(entry) == {"name", "title"} and entry["title"].strip(), entry
        assert entry["title"] != entry["name"], entry  # a title for people, not the key


def _bad_and_good(spec: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    if spec["type"] == "boolean":
        return ["yes", 1], [not spec["default"], spec["default"]]
    if spec["type"] == "enum":
        return ["never", 3], list(spec["choices"])
    if spec["type"] == "string":  # the webhook URL: text within maxLength that its rule accepts
        longest = "https://example.com/" + "x" * (spec["maxLength"] - 20)
        return [5, longest + "x", "not a url"], ["https://example.com/hook", longest, spec["default"]]
    step = 1 if spec["type"] == "integer" else 0.001
    bad = [spec["min"] - step, spec["max"] + step, "5"] + ([spec["min"] + 0.5] if spec["type"] == "integer" else [])
    return bad, [spec["min"], spec["max"], spec["default"]]


async def test_every_range_and_choice_in_the_catalog_is_enforced_by_settings_update(connect: Any) -> None:
    client, catalog = await _catalog(connect)
    checked = 0
    for section, keys in catalog["settings"].items():
        for key, spec in keys.items():
            bounded = ("min" in spec and "max" in spec) or "maxLength" in spec
            assert spec["type"] in ("boolean", "enum") or bounded, (section, key)
            bad, good = _bad_and_good(spec)
            for value in good:
                body = await client.call("settings.update", {"patch": {section: {key: value}}})
                assert body["settings"][section][key] == value
            before = await client.call("settings.get")
            for value in bad:
                with pytest.raises(LinkError) as caught:
                    await client.call("settings.update", {"patch": {section: {key: value}}})
                assert caught.value.error["message"].startswith(f"patch.{section}.{key}:"), (section, key, value)
            assert await client.call("settings.get") == before  # a refused value changes nothing
            checked += 1
    assert checked == sum(len(keys) for keys in catalog["settings"].values()) >= 20
