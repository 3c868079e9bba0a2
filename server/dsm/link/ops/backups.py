"""`backups.*`: DataStore backups kept as files beside the database (dsm.backups.files), made and read in chunks."""

from __future__ import annotations

from dsm.backups import entries
from dsm.link.context import Body, Handler, OpContext
from dsm.validate import integer, only_keys, string


async def begin(ctx: OpContext, body: Body) -> Body:
    """`{datastore, scope?, prefix?}` → `{"backup": header}`: an open backup to append to."""
    request = entries.parse_begin(body)
    files = ctx.services.backups
    header = await files.run(files.begin, ctx.user_id, request)
    return {"backup": header.to_wire()}


async def append(ctx: OpContext, body: Body) -> Body:
    """`{id, seq, entries, cursor?}` → `{"backup", "stored", "duplicates", "resent"}`, after the chunk is on disk."""
    request = entries.parse_append(body)
    files = ctx.services.backups
    done = await files.run(files.append, ctx.user_id, request)
    return {
        "backup": done.header.to_wire(),
        "stored": done.stored,
        "duplicates": done.duplicates,
        "resent": done.resent,
    }


async def finish(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("id",)), "")
    ident = entries.backup_id(body)
    files = ctx.services.backups
    header = await files.run(files.finish, ctx.user_id, ident)
    return {"backup": header.to_wire()}


async def get(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("id",)), "")
    ident = entries.backup_id(body)
    files = ctx.services.backups
    header = await files.run(files.header, ctx.user_id, ident)
    return {"backup": header.to_wire()}


async def list_backups(ctx: OpContext, body: Body) -> Body:
    only_keys(body, frozenset(("datastore", "limit")), "")
    datastore = string(body, "datastore", "", required=False, min_len=1, max_len=entries.NAME_LIMIT)
    limit = integer(body, "limit", "", required=False, minimum=1, maximum=1000, default=100) or 100
    files = ctx.services.backups
    headers = await files.run(files.list, ctx.user_id, datastore, limit)
    return {"backups": [header.to_wire() for header in headers]}


async def read(ctx: OpContext, body: Body) -> Body:
    """`{id, offset?, limit?}` → `{"backup", "entries", "next"}`: entries of a finished backup, in the order stored."""
    only_keys(body, frozenset(("id", "offset", "limit")), "")
    ident = entries.backup_id(body)
    offset = integer(body, "offset", "", required=False, minimum=0, default=0) or 0
    limit = integer(body, "limit", "", required=False, minimum=1, maximum=1000, default=100) or 100
    files = ctx.services.backups
    header, found, after = await files.run(files.read, ctx.user_id, ident, offset, limit)
    return {"backup": header.to_wire(), "entries": [entry.to_wire() for entry in found], "next": after}


OPS: dict[str, Handler] = {
    "backups.begin": begin,
    "backups.append": append,
    "backups.finish": finish,
    "backups.get": get,
    "backups.list": list_backups,
    "backups.read": read,
}
