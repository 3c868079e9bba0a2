"""`history.snapshot`, `history.list`, `history.get`: labelled snapshots in the historical store."""

from __future__ import annotations

from dsm.errors import not_found
from dsm.link.context import Body, Handler, OpContext
from dsm.link.ops.analytics import current
from dsm.store import historical as store
from dsm.validate import as_object, only_keys, string, window

CATEGORY_LIMIT = 64


async def snapshot(ctx: OpContext, body: Body) -> Body:
    """`{label, category?, body?}`; without a body the current analytics are snapshotted."""
    only_keys(body, frozenset(("label", "category", "body")), "")
    label = string(body, "label", "", min_len=1, max_len=200) or ""
    category = (
        string(body, "category", "", required=False, min_len=1, max_len=CATEGORY_LIMIT, default="analytics")
        or "analytics"
    )
    if body.get("body") is None:
        content = await current(ctx, {})
    else:
        content = as_object(body.get("body"), "body")
    snap = store.new_snapshot(label, category, ctx.services.clock(), content)
    await ctx.services.db.write(store.save_job(ctx.user_id, snap))
    return {"snapshot": snap.header()}


async def list_snapshots(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("category", "from", "to", "limit")), "")
    category = string(body, "category", "", required=False, min_len=1, max_len=CATEGORY_LIMIT)
    span = window(body)
    user_id = ctx.user_id
    rows = await ctx.services.db.read(lambda c: store.list_headers(c, user_id, category, span))
    return {"snapshots": rows}


async def get(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("id",)), "")
    snapshot_id = string(body, "id", "", min_len=1, max_len=128) or ""
    user_id = ctx.user_id
    snap = await ctx.services.db.read(lambda c: store.get(c, user_id, snapshot_id))
    if snap is None:
        raise not_found(f"no snapshot with id {snapshot_id}")
    return {"snapshot": snap.to_wire()}


OPS: dict[str, Handler] = {"history.snapshot": snapshot, "history.list": list_snapshots, "history.get": get}
