"""`data.clean`: remove a user's data older than a cut-off (default: `analytics.retainDataDays`)."""

from __future__ import annotations

from dsm.clock import now
from dsm.link.context import Body, Handler, OpContext
from dsm.link.ops.settings import load as load_settings
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
    before = now() - float(older_than)
    removed = await ctx.services.db.write(clean_job(ctx.user_id, before))
    return {"removed": removed, "before": before}


OPS: dict[str, Handler] = {"data.clean": clean}
