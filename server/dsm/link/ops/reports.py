"""`reports.list`, `reports.get`, `reports.delete`, `reports.export` over the reports store."""

from __future__ import annotations

from dsm.errors import not_found
from dsm.link.context import Body, Handler, OpContext
from dsm.reports.export import EXPORTERS, export
from dsm.store import reports as store
from dsm.validate import choice, only_keys, string, window


async def fetch(ctx: OpContext, body: Body) -> store.Report:
    report_id = string(body, "id", "", min_len=1, max_len=128) or ""
    user_id = ctx.user_id
    report = await ctx.services.db.read(lambda c: store.get(c, user_id, report_id))
    if report is None:
        raise not_found(f"no report with id {report_id}")
    return report


async def list_reports(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("type", "from", "to", "limit")), "")
    report_type = choice(body, "type", "", store.REPORT_TYPES, required=False)
    span = window(body)
    user_id = ctx.user_id
    rows = await ctx.services.db.read(lambda c: store.list_headers(c, user_id, report_type, span))
    return {"reports": rows}


async def get(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("id",)), "")
    return {"report": (await fetch(ctx, body)).to_wire()}


async def delete(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("id",)), "")
    report_id = string(body, "id", "", min_len=1, max_len=128) or ""
    if not await ctx.services.db.write(store.delete_job(ctx.user_id, report_id)):
        raise not_found(f"no report with id {report_id}")
    return {"deleted": report_id}


async def export_report(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("id", "format")), "")
    fmt = choice(body, "format", "", tuple(EXPORTERS)) or "json"
    report = await fetch(ctx, body)
    # Rendering (HTML charts above all) is report work: in the bounded pool, off the event loop.
    return (await ctx.services.reports.run(export, report, fmt)).to_wire()


OPS: dict[str, Handler] = {
    "reports.list": list_reports,
    "reports.get": get,
    "reports.delete": delete,
    "reports.export": export_report,
}
