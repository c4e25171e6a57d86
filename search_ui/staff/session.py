"""Staff sessions and CSRF: the middleware that says who is signed in, and the token every staff form carries.

- The session cookie holds a random token; the store keeps only its SHA-256 (`harvester.store.staff`).
  It is HttpOnly, SameSite=Lax, Secure unless ``[staff] secure_cookies = false`` (plain-http dev), and
  named ``__Host-…`` when Secure, so no subdomain can plant one.
- Optionally the institution's reverse proxy signs staff in: ``[staff] auth_header`` names the header
  it sets, honoured only from ``trusted_proxies`` (the proxy must strip it from client requests).
- CSRF: a signed double-submit token. A random ``csrf`` cookie (HttpOnly, SameSite=Strict) plus, in
  every state-changing form, ``HMAC(key, cookie | session)``; `check_csrf` refuses a POST whose token
  is missing or wrong, or whose Origin is another site. The key is a store secret (`Catalog.secret`).
- Every response to a signed-in request, and every ``/staff`` response, says
  ``Cache-Control: private, no-store`` (and ``Vary: Cookie``): no shared cache may keep or serve it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvester.settings import StaffSettings
from harvester.store.staff import StaffStore
from search_ui.staff.identity import CSRF_SCOPE_KEY, SCOPE_KEY, StaffUser

CSRF_FIELD = "csrf_token"
PRIVATE = "private, no-store"
STAFF_PREFIX = "/staff"


def cookie_names(settings: StaffSettings) -> tuple[str, str]:
    """(session cookie, csrf cookie): ``__Host-`` prefixed when Secure."""
    prefix = "__Host-" if settings.secure_cookies else ""
    return f"{prefix}unioncat_staff", f"{prefix}unioncat_csrf"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_store(app: Any) -> StaffStore:
    """The app's `StaffStore` over its catalog's record store (made once)."""
    store = getattr(app.state, "staff_store", None)
    if store is None:
        store = app.state.staff_store = StaffStore(app.state.catalog.store)
    return store


class StaffSession:
    """ASGI middleware: puts the `StaffUser` (if any) in the scope, issues the CSRF cookie, and marks
    staff responses uncacheable."""

    def __init__(self, app: ASGIApp, settings: StaffSettings) -> None:
        self.app = app
        self.settings = settings
        self.session_cookie, self.csrf_cookie = cookie_names(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        user = await self._user(connection)
        csrf = connection.cookies.get(self.csrf_cookie, "")
        new_csrf = "" if len(csrf) >= 32 else secrets.token_urlsafe(32)
        scope = {**scope, CSRF_SCOPE_KEY: csrf or new_csrf}
        if user is not None:
            scope[SCOPE_KEY] = user
        private = user is not None or scope["path"].startswith(STAFF_PREFIX)

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and private:
                headers = MutableHeaders(scope=message)
                headers["cache-control"] = PRIVATE
                headers.append("vary", "Cookie")
                if new_csrf:
                    headers.append("set-cookie", self._cookie(self.csrf_cookie, new_csrf, "Strict", None))
            await send(message)

        await self.app(scope, receive, send_marked)

    async def _user(self, connection: HTTPConnection) -> StaffUser | None:
        header = self.settings.auth_header
        if header and connection.client and connection.client.host in self.settings.trusted_proxies:
            name = connection.headers.get(header, "").strip()
            if name:
                return StaffUser(name, via="proxy")
        token = connection.cookies.get(self.session_cookie, "")
        if not token or getattr(connection.app.state, "catalog", None) is None:
            return None
        user: str | None = await run_in_threadpool(staff_store(connection.app).session_user, digest(token))
        return StaffUser(user) if user else None

    def _cookie(self, name: str, value: str, same_site: str, max_age: int | None) -> str:
        parts = [f"{name}={value}", "Path=/", "HttpOnly", f"SameSite={same_site}"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.settings.secure_cookies:
            parts.append("Secure")
        return "; ".join(parts)


def set_session_cookie(response: Response, settings: StaffSettings, token: str) -> None:
    name, _ = cookie_names(settings)
    response.set_cookie(name, token, max_age=int(settings.session_hours * 3600), path="/",
                        secure=settings.secure_cookies, httponly=True, samesite="lax")


def clear_session_cookie(response: Response, settings: StaffSettings) -> None:
    name, _ = cookie_names(settings)
    response.delete_cookie(name, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax")


def csrf_token(connection: HTTPConnection) -> str:
    """The token this browser's forms must send back (bound to its CSRF cookie and its session)."""
    settings: StaffSettings = connection.app.state.settings.staff
    session = connection.cookies.get(cookie_names(settings)[0], "")
    key = connection.app.state.catalog.secret("staff-csrf")
    message = f"{connection.scope.get(CSRF_SCOPE_KEY, '')}|{session}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_csrf(connection: HTTPConnection, sent: str) -> None:
    """Refuse (403) a state-changing request without the right token or from another site's page."""
    origin = connection.headers.get("origin", "")
    if origin and origin != "null" and urlsplit(origin).netloc != connection.url.netloc:
        raise HTTPException(403, "This form was sent from another site; it was refused (CSRF protection).")
    settings: StaffSettings = connection.app.state.settings.staff
    has_cookie = bool(connection.cookies.get(cookie_names(settings)[1]))
    if not sent or not has_cookie or not hmac.compare_digest(sent, csrf_token(connection)):
        raise HTTPException(403, "The form's security token is missing or out of date (CSRF protection); "
                                 "reload the page and send it again.")
