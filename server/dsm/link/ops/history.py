"""`history.snapshot`, `history.list`, `history.get`: labelled snapshots in the historical store."""

from __future__ import annotations

from dsm.errors import invalid, not_found
from dsm.link.context import Body, Handler, OpContext
from dsm.link.ops.analytics import current
from dsm.reports import snapshot as figures
from dsm.store import historical as store
from dsm.validate import as_object, only_keys, plain_value, string, timestamp, window

CATEGORY_LIMIT = 64
DAY = 86400.0


def _period(body: Body, stamp: float) -> tuple[float, float]:
    """`from`/`to` of the snapshot's metrics; by default today (UTC) up to `stamp`."""
    start = timestamp(body, "from", "", required=False)
    end = timestamp(body, "to", "", required=False)
    if (start is None) != (end is None):
        raise invalid("to" if end is None else "from", "give both from and to, or neither")
    if start is None or end is None:
        return stamp // DAY * DAY, stamp
    if end <= start:
        raise invalid("to", "must be after from")
    return float(start), float(end)


async def snapshot(ctx: OpContext, body: Body) -> Body:
    """`{label, category?, body?, from?, to?}`; without a body the current analytics are snapshotted, with the
    metrics of [from, to) (default: today so far) named as in reports."""
    only_keys(body, frozenset(("label", "category", "body", "from", "to")), "")
    label = string(body, "label", "", min_len=1, max_len=200) or ""
    category = (
        string(body, "category", "", required=False, min_len=1, max_len=CATEGORY_LIMIT, default="analytics")
        or "analytics"
    )
    stamp = ctx.services.clock()
    start, end = _period(body, stamp)
    if body.get("body") is None:
        user_id = ctx.user_id
        content = await current(ctx, {})
        content["period"] = {"from": start, "to": end}
        content["metrics"] = await ctx.services.db.read(lambda conn: figures.metrics(conn, user_id, start, end))
    elif "from" in body:
        raise invalid("from", "a snapshot with its own body has no period")
    else:
        content = plain_value(as_object(body.get("body"), "body"), "body")
    snap = store.new_snapshot(label, category, stamp, content)
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
