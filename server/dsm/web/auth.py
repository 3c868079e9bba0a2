"""Logging a browser in when the server has a token: the token (or the one-time code of the URL `dsm serve`
prints) is exchanged for a session cookie, so links and forms work without the token in any URL.

The cookie is HttpOnly (no script reads it) and SameSite=Strict (no other site's page sends it); its name carries
the port, since browsers share cookies between the ports of one host. Sessions live in the server's memory: a
restart logs everyone out, and logging out ends the session on the server, not only in the browser.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from dsm.config import ServerConfig
from dsm.reports.format import esc
from dsm.web.layout import document

SESSION_BYTES = 32
# Reachable without a session: the login page itself and a share link (a capability of its own).
OPEN_PATHS = re.compile(r"^/(login|share/[A-Za-z0-9_-]{1,64})$")


class Sessions:
    """The browser sessions of one server, and the one-time code of the login URL it printed."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self._live: set[str] = set()
        self._code: str | None = secrets.token_urlsafe(SESSION_BYTES) if token else None
        self.first_code = self._code

    @property
    def required(self) -> bool:
        return self.token is not None

    def login_with_code(self, code: str) -> str | None:
        """A new session id for the one-time code (then spent), else None."""
        if self._code is None or not hmac.compare_digest(code.encode(), self._code.encode()):
            return None
        self._code = None
        return self._issue()

    def login_with_token(self, token: str) -> str | None:
        if self.token is None or not hmac.compare_digest(token.encode(), self.token.encode()):
            return None
        return self._issue()

    def _issue(self) -> str:
        session = secrets.token_urlsafe(SESSION_BYTES)
        self._live.add(session)
        return session

    def valid(self, session: str | None) -> bool:
        return session is not None and session in self._live

    def end(self, session: str | None) -> None:
        self._live.discard(session or "")


def cookie_name(port: int) -> str:
    return f"dsm_session_{port}"


def login_url(config: ServerConfig, port: int, sessions: Sessions) -> str | None:
    """The URL `dsm serve --token` prints: it logs the first browser that opens it in, once."""
    if sessions.first_code is None:
        return None
    host = f"[{config.host}]" if ":" in config.host else config.host
    host = "127.0.0.1" if host in ("0.0.0.0", "[::]") else host
    return f"http://{host}:{port}/login?once={sessions.first_code}"


def admits(sessions: Sessions, port: int, request: web.Request) -> bool:
    """Whether a request without the token may pass the guard: an open path, or a live session's cookie."""
    if OPEN_PATHS.match(request.path) and request.method in ("GET", "HEAD", "POST"):
        return request.path == "/login" or request.method in ("GET", "HEAD")
    return sessions.valid(request.cookies.get(cookie_name(port)))


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _signed_in(response: web.Response, port: int, session: str) -> web.Response:
    response.set_cookie(cookie_name(port), session, httponly=True, samesite="Strict", path="/")
    return response


def login_page(message: str = "", status: int = 200, *, kind: str = "error") -> web.Response:
    """The login form, with a message: an `error` (a refused code or token) or a `notice`."""
    role = "alert" if kind == "error" else "status"
    alert = f"<p class='{kind}' role='{role}'>{esc(message)}</p>" if message else ""
    content = (
        "<h1>DataStore Manager Pro</h1><section class='login'>"
        "<p>This companion was started with <code>--token</code>. Open the login link it printed, or enter the "
        "token here.</p>"
        f"{alert}<form method='post' action='/login'><label>Token "
        "<input type='password' name='token' autocomplete='current-password' required autofocus></label> "
        "<button type='submit'>Log in</button></form></section>"
    )
    return web.Response(
        text=document("Log in — DataStore Manager Pro", content), content_type="text/html", status=status
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_handlers(sessions_of: Callable[[web.Request], tuple[Sessions, int]]) -> tuple[Handler, Handler]:
    """GET/POST /login and POST /logout; `sessions_of` gives the server's sessions and its port."""

    async def login(request: web.Request) -> web.StreamResponse:
        sessions, port = sessions_of(request)
        if not sessions.required:
            return see_other("/")
        if request.method == "POST":
            form = await request.post()
            session = sessions.login_with_token(str(form.get("token") or ""))
            if session is None:
                return login_page("That is not this server's token.", 401)
            return _signed_in(see_other("/"), port, session)
        code = request.query.get("once")
        if code is None:
            if sessions.valid(request.cookies.get(cookie_name(port))):
                return see_other("/")
            return login_page("You are logged out." if "out" in request.query else "", kind="notice")
        session = sessions.login_with_code(code)
        if session is None:
            return login_page("This login link was already used (it works once). Enter the token instead.", 401)
        # Redirect at once, so the code leaves the address bar and the history entry is the dashboard.
        return _signed_in(see_other("/"), port, session)

    async def logout(request: web.Request) -> web.StreamResponse:
        sessions, port = sessions_of(request)
        sessions.end(request.cookies.get(cookie_name(port)))
        response = see_other("/login?out=1" if sessions.required else "/")
        response.del_cookie(cookie_name(port), path="/")
        return response

    return login, logout
