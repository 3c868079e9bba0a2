"""Everything the companion serves to a browser, wired in one place: the dashboard and its live stream, the
reports API, logging in with the token, and report share links.

| route | what |
|---|---|
| `GET /` | the dashboard (`?user=&period=24h|7d|30d&type=&from=&to=`) |
| `GET /live?user=&period=` | Server-Sent Events: the dashboard's charts, again after each commit of the user's events |
| `GET /static/dashboard.js` | the dashboard's one script |
| `GET|POST /api/reports`, `GET /api/reports/{id}.{json,csv,html}` | `dsm.web.api` |
| `GET|POST /login`, `POST /logout` | `dsm.web.auth` (with `--token`) |
| `POST /shares`, `POST /shares/revoke` | create and revoke a share link (form posts from the dashboard) |
| `GET /share/{id}` | a shared report's HTML view: no login, nothing else reachable |
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from dsm.errors import DsmError, invalid, not_found
from dsm.reports.export import EXPORTERS, export
from dsm.services import Services
from dsm.store import reports as report_store
from dsm.store import shares as share_store
from dsm.validate import Window
from dsm.web import api, auth, dashboard, panels
from dsm.web.layout import SHARED_POLICY, error_page
from dsm.web.live import LiveFeed, stream

LIVE = web.AppKey("live", LiveFeed)
SESSIONS = web.AppKey("sessions", auth.Sessions)
LIST_LIMIT = 200


def _script() -> bytes:
    return resources.files("dsm.web").joinpath("static/dashboard.js").read_bytes()


def setup(
    app: web.Application, services_key: web.AppKey[Services], port_key: web.AppKey[list[int]], sessions: auth.Sessions
) -> None:
    """Register every browser route on `app`, and the live feed's hooks once the services are open."""
    app[SESSIONS] = sessions

    def services_of(request: web.Request) -> Services:
        return request.app[services_key]

    async def live_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[services_key]
        feed = LiveFeed(asyncio.get_running_loop())
        services.events.observers.append(feed.observe)
        services.db.writer.after_commit.append(feed.committed)
        app[LIVE] = feed
        yield

    async def close_streams(app: web.Application) -> None:
        app[LIVE].close()

    app.cleanup_ctx.append(live_ctx)
    app.on_shutdown.append(close_streams)
    pages = Pages(services_of, lambda request: (request.app[SESSIONS], request.app[port_key][0]))
    handlers = api.make_handlers(services_of, pages.form_refused)
    login, logout = auth.make_handlers(pages.sessions_of)
    formats = "|".join(EXPORTERS)
    app.router.add_get("/", api.with_errors(pages.home, page=True))
    app.router.add_get("/live", api.with_errors(pages.live))
    app.router.add_get("/static/dashboard.js", pages.script)
    app.router.add_get("/api/reports", api.with_errors(handlers["list"]))
    app.router.add_post("/api/reports", api.with_errors(handlers["generate"]))
    app.router.add_get(f"/api/reports/{{id:[^/.]+}}.{{fmt:{formats}}}", api.with_errors(handlers["export"]))
    app.router.add_route("*", "/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/shares", pages.share)
    app.router.add_post("/shares/revoke", pages.revoke)
    app.router.add_get("/share/{id}", pages.shared)


class Pages:
    """The dashboard's own pages and form posts."""

    def __init__(
        self,
        services_of: Callable[[web.Request], Services],
        sessions_of: Callable[[web.Request], tuple[auth.Sessions, int]],
    ) -> None:
        self.services_of = services_of
        self.sessions_of = sessions_of

    async def _view(self, request: web.Request, user_raw: str | None) -> dashboard.View:
        services = self.services_of(request)
        user_id, users = await api.resolve_user(services, user_raw)
        period = _period(request.query.get("period"))
        sessions, _port = self.sessions_of(request)
        view = dashboard.View(services.version, users, user_id, period, logout=sessions.required)
        view.origin = f"{request.scheme}://{request.host}"
        if user_id is None:
            return view
        query = request.query
        report_type = api.report_type_of(query.get("type"), required=False)
        start, end = api.query_time(query, "from"), api.query_time(query, "to", end_of_day=True)
        view.filters = {k: query[k] for k in ("type", "from", "to") if query.get(k)}
        now = services.clock()

        def read(conn: Any) -> None:
            view.panels_html = panels.render(panels.build(conn, user_id, period, now))
            view.reports = report_store.list_headers(conn, user_id, report_type, Window(start, end, LIST_LIMIT))
            view.all_reports = report_store.list_headers(conn, user_id, None, Window(None, None, LIST_LIMIT))
            view.shares = share_store.list_shares(conn, user_id)

        await services.db.read(read)
        return view

    async def home(self, request: web.Request) -> web.StreamResponse:
        view = await self._view(request, request.query.get("user"))
        view.notice = dashboard.NOTICES.get(request.query.get("notice", ""), "")
        return _page(dashboard.render(view))

    async def form_refused(
        self, request: web.Request, user_id: int | None, exc: DsmError, fields: dict[str, str]
    ) -> web.StreamResponse:
        """The dashboard again, the message above the form and the values as they were sent."""
        try:
            view = await self._view(request, str(user_id) if user_id is not None else None)
        except DsmError:  # not even the dashboard can be drawn for that user: the message alone
            return error_page(_sentence(exc), api.STATUS.get(exc.code, 500))
        view.error, view.form_values, view.form_type = _sentence(exc), fields, fields.get("type")
        return _page(dashboard.render(view), api.STATUS.get(exc.code, 500))

    async def live(self, request: web.Request) -> web.StreamResponse:
        services = self.services_of(request)
        user_id, _users = await api.resolve_user(services, request.query.get("user"))
        if user_id is None:
            raise invalid("user", "required")
        period = _period(request.query.get("period"))

        async def render() -> str:
            now = services.clock()
            return await services.db.read(lambda conn: panels.render(panels.build(conn, user_id, period, now)))

        return await stream(request, request.app[LIVE], user_id, render)

    async def script(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(body=_script(), content_type="text/javascript", charset="utf-8")

    async def share(self, request: web.Request) -> web.StreamResponse:
        services = self.services_of(request)
        form = await request.post()
        try:
            user_id = _form_user(form.get("user"))
            report_id = str(form.get("report") or "")
            await services.db.write(share_store.create_job(user_id, report_id, services.clock()))
        except DsmError as exc:
            return error_page(_sentence(exc), api.STATUS.get(exc.code, 500))
        return auth.see_other(f"/?user={user_id}&notice=shared#shares")

    async def revoke(self, request: web.Request) -> web.StreamResponse:
        services = self.services_of(request)
        form = await request.post()
        try:
            user_id = _form_user(form.get("user"))
            share_id = str(form.get("share") or "")
            if not await services.db.write(share_store.revoke_job(user_id, share_id)):
                raise not_found("no such share link (already revoked?)")
        except DsmError as exc:
            return error_page(_sentence(exc), api.STATUS.get(exc.code, 500))
        return auth.see_other(f"/?user={user_id}&notice=revoked#shares")

    async def shared(self, request: web.Request) -> web.StreamResponse:
        """The one report a share link names, read-only; a revoked or unknown link says only that."""
        services = self.services_of(request)
        share_id = request.match_info["id"]

        def find(conn: Any) -> report_store.Report | None:
            target = share_store.resolve(conn, share_id)
            return None if target is None else report_store.get(conn, *target)

        report = await services.db.read(find)
        if report is None:
            response = error_page("This share link was revoked, or never existed.", 404)
        else:
            exported = await services.reports.run(export, report, "html")
            response = web.Response(text=exported.content, content_type="text/html", charset="utf-8")
            response.headers["Content-Security-Policy"] = SHARED_POLICY
        response.headers.update(
            {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
        )
        return response


def _page(text: str, status: int = 200) -> web.Response:
    response = web.Response(text=text, content_type="text/html", charset="utf-8", status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _period(name: str | None) -> panels.Period:
    if not name:
        return panels.DEFAULT_PERIOD
    found = panels.PERIOD_BY_NAME.get(name)
    if found is None:
        raise invalid("period", f"expected one of {', '.join(panels.PERIOD_BY_NAME)}")
    return found


def _form_user(raw: Any) -> int:
    text = str(raw or "")
    if not text.isdigit():
        raise invalid("user", "expected a Studio user id (a whole number)")
    return int(text)


def _sentence(exc: DsmError) -> str:
    """An error as the page shows it: the message, and the users to pick from when that was the trouble."""
    users = exc.extra.get("users")
    return exc.message + (f" (users with data: {', '.join(map(str, users))})" if users else "")
