"""`data.clean` (remove a user's data older than a cut-off, default `analytics.retainDataDays`),
`data.export` and `data.import` (the whole of a user's stores as one portable document)."""

from __future__ import annotations

from functools import partial

from dsm.link.context import Body, Handler, OpContext
from dsm.link.ops.settings import load as load_settings
from dsm.store import portable
from dsm.store.retention import clean_job
from dsm.validate import number, only_keys

DAY = 86400.0


async def clean(ctx: OpContext, body: Body) -> Body:
    """`{olderThan?: seconds}` → `{removed: {store: rows}, before: ts}`."""
    only_keys(body, frozenset(("olderThan",)), "")
    older_than = number(body, "olderThan", "", required=False, minimum=0)
    if older_than is None:
        settings = (await load_settings(ctx, ctx.user_id)).settings
        older_than = settings["analytics"]["retainDataDays"] * DAY
    before = ctx.services.clock() - float(older_than)
    removed = await ctx.services.db.write(clean_job(ctx.services.db.tables, ctx.user_id, before))
    return {"removed": removed, "before": before}


async def export_data(ctx: OpContext, body: Body) -> Body:
    """`{}` → `{"data": <export document>}` (format in docs/exports.md)."""
    only_keys(body, frozenset(), "")
    user_id, version, at = ctx.user_id, ctx.services.version, ctx.services.clock()
    job = partial(portable.export_user, user_id=user_id, now=at, server_version=version, tables=ctx.services.db.tables)
    document = await ctx.services.reports.read(ctx.services.db.path, job)  # a heavy read: in the report pool
    return {"data": document}


async def import_data(ctx: OpContext, body: Body) -> Body:
    """`{"data": <export document>}` → `{"imported": {store: n}, "skipped": {store: n}}`; all or nothing."""
    only_keys(body, frozenset(("data",)), "")
    parsed = portable.parse_document(body.get("data"), ctx.user_id, ctx.services.db.tables)
    return await ctx.services.db.write(portable.import_job(ctx.user_id, parsed, ctx.services.events))


OPS: dict[str, Handler] = {"data.clean": clean, "data.export": export_data, "data.import": import_data}
