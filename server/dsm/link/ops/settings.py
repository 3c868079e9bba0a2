"""`settings.get` / `settings.update`; an update is pushed to the user's other connections."""

from __future__ import annotations

from dsm.link.context import Body, Handler, OpContext
from dsm.store import settings as store
from dsm.validate import only_keys


async def load(ctx: OpContext, user_id: int) -> store.SettingsState:
    return await ctx.services.db.read(lambda conn: store.load(conn, user_id))


async def get(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(), "")
    return (await load(ctx, ctx.user_id)).to_wire()


async def update(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("patch",)), "")
    patch = store.validate_patch(body.get("patch"))
    state = await ctx.services.db.write(store.update_job(ctx.user_id, patch, ctx.services.clock()))
    wire = state.to_wire()
    await ctx.services.hub.push_to_others(ctx.user_id, ctx.connection, "settings.changed", wire)
    return wire


OPS: dict[str, Handler] = {"settings.get": get, "settings.update": update}
