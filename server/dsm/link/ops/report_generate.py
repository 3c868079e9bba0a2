"""`reports.generate {type, options}` and `history.compare`: report computations over the link."""

from __future__ import annotations

from dsm.errors import invalid
from dsm.link.context import Body, Handler, OpContext
from dsm.reports.comparison import compare_saved
from dsm.reports.engine import validate_options
from dsm.reports.runner import generate_and_save
from dsm.store.reports import REPORT_TYPES
from dsm.validate import choice, only_keys, string


async def generate(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("type", "options")), "")
    report_type = choice(body, "type", "", REPORT_TYPES) or ""
    options = validate_options(report_type, body.get("options"))
    services = ctx.services
    report = await generate_and_save(
        services.db,
        ctx.user_id,
        report_type,
        options,
        services.clock(),
        pool=services.reports,
        notify=services.notifier.report_saved,
    )
    return {"report": report.to_wire()}


def _pair(body: Body, report_field: str, snapshot_field: str) -> tuple[str | None, str | None]:
    report_id = string(body, report_field, "", required=False, min_len=1, max_len=128)
    snapshot_id = string(body, snapshot_field, "", required=False, min_len=1, max_len=128)
    if (report_id is None) == (snapshot_id is None):
        raise invalid(report_field, f"give exactly one of {report_field}, {snapshot_field}")
    return report_id, snapshot_id


async def compare(ctx: OpContext, body: Body) -> Body:
    """`{reportId|snapshotId, baselineReportId|baselineSnapshotId}` -> `{"comparison": {...}}`."""
    only_keys(body, frozenset(("reportId", "snapshotId", "baselineReportId", "baselineSnapshotId")), "")
    current = _pair(body, "reportId", "snapshotId")
    baseline = _pair(body, "baselineReportId", "baselineSnapshotId")
    user_id = ctx.user_id
    result = await ctx.services.db.read(lambda c: compare_saved(c, user_id, current, baseline))
    return {"comparison": result}


OPS: dict[str, Handler] = {"reports.generate": generate, "history.compare": compare}
