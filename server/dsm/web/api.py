"""Reports over plain HTTP: the JSON list, the exports, generating.

`GET /api/reports?user=&type=&from=&to=&limit=` lists saved reports (newest first);
`GET /api/reports/{id}.json|.csv|.html?user=` returns one export with its Content-Type;
`POST /api/reports` (JSON, or the dashboard's form) generates and saves a report. `user` picks the Studio user
id; without it the only user with data is used. Errors are JSON for the API and pages for a browser (the form
is shown again with the message; a missing report's HTML view is a page saying so). The Origin/Host guard
(dsm.security) protects every route, so a foreign page cannot post the form.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from dsm.errors import DsmError, invalid, not_found
from dsm.reports.export import export
from dsm.reports.runner import generate_and_save, parse_when
from dsm.services import Services
from dsm.store import reports as store
from dsm.store.portable import known_users
from dsm.validate import Window, in_int64
from dsm.web import forms
from dsm.web.layout import error_page

log = logging.getLogger(__name__)

STATUS = {"invalid_body": 400, "not_found": 404, "too_large": 413, "unauthorized": 403, "rate_limited": 503}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The dashboard drawn again with a refused form's message and values (status, user, error, fields).
FormRefused = Callable[[web.Request, int | None, DsmError, dict[str, str]], Awaitable[web.StreamResponse]]
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def error_response(exc: DsmError, **extra: Any) -> web.Response:
    return web.json_response({"error": {**exc.to_wire(), **extra}}, status=STATUS.get(exc.code, 500))


async def resolve_user(services: Services, raw: str | None) -> tuple[int | None, list[int]]:
    """(chosen user id or None, every user with data). A given id is taken as is."""
    users = await services.db.read(lambda conn: known_users(conn, services.db.tables))
    if raw:
        try:
            user_id = int(raw)
        except ValueError:
            user_id = None
        if user_id is None or not in_int64(user_id):  # SQLite cannot even look up an id past 64 bits
            raise invalid("user", "expected a Studio user id (a whole number)")
        return user_id, users
    return (users[0] if len(users) == 1 else None), users


def query_time(query: Any, key: str, *, end_of_day: bool = False) -> float | None:
    text = query.get(key)
    if not text:
        return None
    try:
        return parse_when(text, end_of_day=end_of_day)
    except ValueError as exc:
        raise invalid(key, str(exc)) from None


def _limit(query: Any) -> int:
    try:
        limit = int(query.get("limit", "100"))
    except ValueError:
        raise invalid("limit", "expected a whole number") from None
    if not 1 <= limit <= 1000:
        raise invalid("limit", "must be 1..1000")
    return limit


def report_type_of(value: str | None, required: bool) -> str | None:
    if not value:
        if required:
            raise invalid("type", f"required; one of {', '.join(store.REPORT_TYPES)}")
        return None
    if value not in store.REPORT_TYPES:
        raise invalid("type", f"expected one of {', '.join(store.REPORT_TYPES)}")
    return value


def make_handlers(services_of: Callable[[web.Request], Services], form_refused: FormRefused) -> dict[str, Handler]:
    async def user_or_error(request: web.Request) -> int:
        user_id, users = await resolve_user(services_of(request), request.query.get("user"))
        if user_id is None:
            problem = "no data yet" if not users else "several users have data: pick one with ?user="
            raise DsmError("invalid_body", f"user: {problem}", users=users)
        return user_id

    async def list_reports(request: web.Request) -> web.Response:
        services, query = services_of(request), request.query
        user_id, users = await resolve_user(services, query.get("user"))
        report_type = report_type_of(query.get("type"), required=False)
        start, end = query_time(query, "from"), query_time(query, "to", end_of_day=True)
        limit = _limit(query)
        if user_id is None and users:
            raise DsmError("invalid_body", "user: several users have data: pick one with ?user=", users=users)
        rows = []
        if user_id is not None:
            rows = await services.db.read(
                lambda c: store.list_headers(c, user_id, report_type, Window(start, end, limit))
            )
        return web.json_response({"user": user_id, "users": users, "reports": rows})

    async def get_export(request: web.Request) -> web.Response:
        user_id = await user_or_error(request)
        report_id, fmt = request.match_info["id"], request.match_info["fmt"]
        report = await services_of(request).db.read(lambda c: store.get(c, user_id, report_id))
        if report is None:
            raise not_found(f"no report with id {report_id} for user {user_id}")
        exported = await services_of(request).reports.run(export, report, fmt)
        content_type, _, charset = exported.mime.partition("; charset=")
        response = web.Response(text=exported.content, content_type=content_type, charset=charset or "utf-8")
        disposition = "attachment" if fmt == "csv" or request.query.get("download") else "inline"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{exported.filename}"'
        return response

    async def generate(request: web.Request) -> web.StreamResponse:
        if request.content_type in FORM_TYPES:
            fields = {k: str(v) for k, v in (await request.post()).items()}
            try:
                return await _generate_from_form(request, fields)
            except DsmError as exc:
                user = fields.get("user", "")
                return await form_refused(request, int(user) if user.isdigit() else None, exc, fields)
        services = services_of(request)
        body = await _json_body(request)
        user_id, users = await resolve_user(services, str(body.get("user") or "") or None)
        if user_id is None:
            raise DsmError("invalid_body", "user: required (several users or none have data)", users=users)
        report_type = report_type_of(str(body.get("type") or ""), required=True) or ""
        options = body.get("options") or {}
        if not isinstance(options, dict | list):
            raise invalid("options", "expected an object")
        options = options if isinstance(options, dict) else {}
        report = await generate_and_save(
            services.db,
            user_id,
            report_type,
            options,
            services.clock(),
            pool=services.reports,
            notify=services.notifier.report_saved,
        )
        return web.json_response({"report": report.header(), "user": user_id}, status=201)

    async def _generate_from_form(request: web.Request, fields: dict[str, str]) -> web.StreamResponse:
        services = services_of(request)
        user_id, users = await resolve_user(services, fields.get("user") or None)
        if user_id is None:
            raise DsmError("invalid_body", "user: required (several users or none have data)", users=users)
        report_type = report_type_of(fields.get("type"), required=True) or ""
        options = forms.options_from_form(report_type, fields)
        report = await generate_and_save(
            services.db, user_id, report_type, options, services.clock(), pool=services.reports
        )
        return web.Response(status=303, headers={"Location": f"/api/reports/{report.id}.html?user={user_id}"})

    return {"list": list_reports, "export": get_export, "generate": generate}


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("body", "expected a JSON object") from None
    if not isinstance(body, dict):
        raise invalid("body", "expected a JSON object")
    return body


def with_errors(handler: Handler, *, page: bool = False) -> Handler:
    """`DsmError` as the API's JSON error; as a page for a page (`page`) or a report's HTML view."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DsmError as exc:
            if page or request.match_info.get("fmt") == "html":
                return error_page(exc.message, STATUS.get(exc.code, 500))
            return error_response(exc)

    return wrapped
