"""`edits.record`, `edits.list`, `edits.get`: the journal of DataStore writes made through the plugin."""

from __future__ import annotations

from dsm.errors import not_found
from dsm.link.context import Body, Handler, OpContext
from dsm.store import edits as store
from dsm.validate import boolean, only_keys, string, window


async def record(ctx: OpContext, body: Body) -> Body:
    """`{"edit": {...}}` → `{"edit": {id, ...every field but the values, with their sizes}}`, after commit."""
    edit = store.parse_record(body, ctx.services.clock())
    saved = await ctx.services.db.write(store.record_job(ctx.user_id, edit))
    return {"edit": saved.summary()}


async def list_edits(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("datastore", "key", "from", "to", "limit", "withUndoes")), "")
    query = store.ListQuery(
        string(body, "datastore", "", required=False, min_len=1, max_len=store.NAME_LIMIT),
        string(body, "key", "", required=False, min_len=1, max_len=store.NAME_LIMIT),
        window(body),
        bool(boolean(body, "withUndoes", "", required=False, default=False)),
    )
    user_id = ctx.user_id
    return {"edits": await ctx.services.db.read(lambda conn: store.list_items(conn, user_id, query))}


async def get(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("id",)), "")
    edit_id = string(body, "id", "", min_len=1, max_len=store.ID_LIMIT) or ""
    user_id = ctx.user_id
    edit = await ctx.services.db.read(lambda conn: store.get(conn, user_id, edit_id))
    if edit is None:
        raise not_found(f"no edit with id {edit_id}")
    return {"edit": edit.to_wire()}


OPS: dict[str, Handler] = {"edits.record": record, "edits.list": list_edits, "edits.get": get}
