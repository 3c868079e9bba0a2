"""The dashboard's Generate form, drawn from the report catalog (`dsm.reports.catalog`), and the options read back
from it: one fieldset of inputs per report type (named `<TYPE>.<option>`), and for CUSTOM_ANALYSIS one per
analysis (`CUSTOM_ANALYSIS.<analysis>.parameters.<name>` / `.filters.<name>`).

Only the chosen type's fieldset is shown (CSS `:has()`, no script); only its fields are read. A field left empty
is an option not given, so the catalog's default applies. The values are typed here and checked by the catalog's
own parser afterwards, so a bad value is `invalid_body` naming the option, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dsm.errors import invalid
from dsm.reports import catalog
from dsm.reports.catalog import Option
from dsm.reports.format import esc, value_text
from dsm.reports.runner import parse_when

CUSTOM = "CUSTOM_ANALYSIS"
# Options the form draws differently: the analysis picks a fieldset, parameters and filters are its fields.
NESTED = frozenset(("parameters", "filters"))
# How a choice reads in a list: the analyses by their titles (the value sent stays the name).
CHOICE_TITLES = {a.name: a.title for a in catalog.ANALYSES}


def type_css() -> str:
    """Show the fieldset of the chosen type (and analysis) only."""
    rules = [
        f"form.generate:has(select[name='type'] option[value='{t.name}']:checked) fieldset[data-type='{t.name}']"
        for t in catalog.TYPES
    ]
    rules += [
        f"form.generate:has(select[name='{CUSTOM}.analysis'] option[value='{a.name}']:checked) "
        f"fieldset[data-analysis='{a.name}']"
        for a in catalog.ANALYSES
    ]
    return ",\n".join(rules) + " { display: flex; }\n"


def render_form(user_id: int, reports: list[dict[str, Any]], values: Mapping[str, str], chosen: str | None) -> str:
    """The whole Generate form; `values` refills it after a refused submit."""
    chosen = chosen if chosen in catalog.BY_NAME else catalog.TYPES[0].name
    options = "".join(
        f"<option value='{esc(t.name)}'{' selected' if t.name == chosen else ''}>{esc(t.title)}</option>"
        for t in catalog.TYPES
    )
    fieldsets = "".join(_type_fieldset(t, reports, values) for t in catalog.TYPES)
    return (
        "<form class='generate' method='post' action='/api/reports'>"
        f"<input type='hidden' name='user' value='{esc(user_id)}'>"
        f"<div class='row'><label>Report type<select name='type'>{options}</select></label></div>"
        f"{fieldsets}<div class='row'><button type='submit'>Generate</button></div></form>"
    )


def _type_fieldset(report_type: catalog.ReportType, reports: list[dict[str, Any]], values: Mapping[str, str]) -> str:
    prefix = report_type.name
    inputs = [_input(f"{prefix}.{o.name}", o, reports, values) for o in report_type.options if o.name not in NESTED]
    desc = f"<p class='hint'>{esc(report_type.description)} Default period: {esc(report_type.period.text)}.</p>"
    analyses = "".join(_analysis_fieldset(a, values) for a in report_type.analyses)
    return f"<fieldset class='opts' data-type='{esc(prefix)}'>{desc}{''.join(inputs)}{analyses}</fieldset>"


def _analysis_fieldset(analysis: catalog.Analysis, values: Mapping[str, str]) -> str:
    base = f"{CUSTOM}.{analysis.name}"
    inputs = [_input(f"{base}.parameters.{o.name}", o, [], values) for o in analysis.parameters]
    inputs += [_input(f"{base}.filters.{o.name}", o, [], values) for o in analysis.filters]
    return (
        f"<fieldset class='analysis' data-analysis='{esc(analysis.name)}'>"
        f"<p class='hint'>{esc(analysis.description)}</p>{''.join(inputs)}</fieldset>"
    )


def _input(name: str, option: Option, reports: list[dict[str, Any]], values: Mapping[str, str]) -> str:
    value = values.get(name, "")
    title = f" title='{esc(option.description)}'" if option.description else ""
    label = esc(option.label) + (" (UTC)" if option.type in ("time", "date") else "")
    if option.type == "enum":
        choices = "".join(
            f"<option value='{esc(c)}'{' selected' if c == (value or option.default) else ''}>"
            f"{esc(CHOICE_TITLES.get(c, c))}</option>"
            for c in option.choices
        )
        return f"<label{title}>{label}<select name='{esc(name)}'>{choices}</select></label>"
    if option.type == "report":
        picks = "".join(
            f"<option value='{esc(r['id'])}'{' selected' if r['id'] == value else ''}>"
            f"{esc(r['title'])} · {esc(value_text(r['createdAt'], 'time'))}</option>"
            for r in reports
        )
        return f"<label{title}>{label}<select name='{esc(name)}'><option value=''>—</option>{picks}</select></label>"
    kind, extra = "text", ""
    if option.type == "time":
        kind = "datetime-local"
    elif option.type == "date":
        kind = "date"
    elif option.type in ("integer", "number"):
        kind = "number"
        step = "1" if option.type == "integer" else "any"
        extra = f" step='{step}'" + "".join(
            f" {attr}='{bound:g}'"
            for attr, bound in (("min", option.minimum), ("max", option.maximum))
            if bound is not None
        )
    placeholder = f" placeholder='{esc(option.default)}'" if option.default is not None else ""
    return (
        f"<label{title}>{label}<input type='{kind}' name='{esc(name)}' value='{esc(value)}'{extra}{placeholder}>"
        "</label>"
    )


def options_from_form(report_type: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """The options of `report_type` from its fieldset; empty fields are left out."""
    declared = catalog.BY_NAME.get(report_type)
    if declared is None:
        return {}
    out = _read(fields, report_type, [o for o in declared.options if o.name not in NESTED], "options")
    if declared.analyses:
        name = str(out.get("analysis") or declared.analyses[0].name)
        analysis = catalog.ANALYSIS_BY_NAME.get(name)
        if analysis is not None:
            base = f"{report_type}.{analysis.name}"
            parameters = _read(fields, f"{base}.parameters", list(analysis.parameters), "options.parameters")
            filters = _read(fields, f"{base}.filters", list(analysis.filters), "options.filters")
            if parameters:
                out["parameters"] = parameters
            if filters:
                out["filters"] = filters
    return out


def _read(fields: Mapping[str, str], prefix: str, declared: list[Option], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for option in declared:
        text = str(fields.get(f"{prefix}.{option.name}") or "").strip()
        if text:
            out[option.name] = _typed(text, option, f"{path}.{option.name}")
    return out


def _typed(text: str, option: Option, path: str) -> Any:
    try:
        if option.type == "time":
            return parse_when(text)
        if option.type == "integer":
            return int(text)
        if option.type == "number":
            return float(text)
    except ValueError:
        expected = {"time": "a date and time", "integer": "a whole number", "number": "a number"}[option.type]
        raise invalid(path, f"expected {expected}") from None
    return text
