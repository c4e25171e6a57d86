"""The staff pages: sign in and out, the override actions of ``unioncat override``, and their audit trail.

``/staff/sign-in`` (GET form, POST check), ``/staff/sign-out`` (POST), ``/staff`` (overrides: merge,
split, block, remove, each with a reason), ``/staff/audit`` (who did what, when and why). Every POST
checks the CSRF token first (`search_ui.staff.session.check_csrf`); every page but the sign-in form
needs a signed-in staff member and otherwise sends the browser to sign in.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from harvester.settings import StaffSettings
from search_ui.staff import throttle
from search_ui.staff.identity import StaffUser, staff_of
from search_ui.staff.passwords import hash_password, needs_rehash, verify_password
from search_ui.staff.session import (
    CSRF_FIELD,
    check_csrf,
    clear_session_cookie,
    csrf_token,
    digest,
    set_session_cookie,
    staff_store,
)
from search_ui.views.common import call, render

AUDIT_SHOWN = 500


def _settings(request: Request) -> StaffSettings:
    return request.app.state.settings.staff  # type: ignore[no-any-return]


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    context.update(csrf_field=CSRF_FIELD, csrf_token=csrf_token(request), nav="staff")
    return render(request, template, context, status_code=status)


def _local(target: str) -> str:
    """Only a path on this site may be a "next" page (no open redirect to ``//evil.example``)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/staff"


async def sign_in(request: Request) -> Response:
    if request.method == "GET":
        return _page(request, "staff_sign_in.html", {"next": _local(request.query_params.get("next", "/staff"))})
    form = await request.form()
    check_csrf(request, str(form.get(CSRF_FIELD, "")))
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    target = _local(str(form.get("next", "/staff")))
    accounts = staff_store(request.app)
    client = request.client.host if request.client else ""
    wait = await call(throttle.wait_seconds, accounts, name, client)
    if wait:
        response = _page(request, "staff_sign_in.html", {"next": target, "name": name,
                         "error": throttle.wait_text(wait)}, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    stored = await call(accounts.password_hash, name)
    if not name or not await call(verify_password, stored, password):
        await call(throttle.failed, accounts, name, client)
        return _page(request, "staff_sign_in.html", {"next": target, "name": name,
                     "error": "That name and password do not match a staff account."}, status=401)
    await call(throttle.succeeded, accounts, name)
    if stored is not None and needs_rehash(stored):
        await call(accounts.set_hash, name, await call(hash_password, password))
    token = secrets.token_urlsafe(32)
    await call(accounts.open_session, digest(token), name, time.time() + _settings(request).session_hours * 3600)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, _settings(request), token)
    return response


async def sign_out(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get(CSRF_FIELD, "")))
    from search_ui.staff.session import cookie_names

    token = request.cookies.get(cookie_names(_settings(request))[0], "")
    if token:
        await call(staff_store(request.app).close_session, digest(token))
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, _settings(request))
    return response


def _signed_in(request: Request) -> StaffUser | Response:
    user = staff_of(request)
    if user is None:
        return RedirectResponse(f"/staff/sign-in?next={request.url.path}", status_code=303)
    return user


async def home(request: Request) -> Response:
    user = _signed_in(request)
    if isinstance(user, Response):
        return user
    return await _home_page(request, user, {"done": request.query_params.get("done", "")})


async def _home_page(request: Request, user: StaffUser, extra: dict[str, Any], status: int = 200) -> Response:
    overrides = request.app.state.catalog.clusters.staff
    context = {"user": user, "overrides": await call(overrides.all), "kinds": ("merge", "split", "block"), **extra}
    return _page(request, "staff_home.html", context, status)


async def overrides(request: Request) -> Response:
    """Add or remove one override (form fields action, kind, a, b, why); the audit row is written with it."""
    form = await request.form()
    check_csrf(request, str(form.get(CSRF_FIELD, "")))
    user = _signed_in(request)
    if isinstance(user, Response):
        return user
    action, kind = str(form.get("action", "add")), str(form.get("kind", ""))
    a, b, why = (str(form.get(name, "")).strip() for name in ("a", "b", "why"))
    store = request.app.state.catalog.clusters.staff
    try:
        if not why:
            raise ValueError("say why (the audit trail keeps the reason with the decision)")
        if action == "remove":
            if not await call(store.remove, kind, a, b, user.name, why):
                raise ValueError(f"there is no {kind} override {f'{a} {b}'.strip()}")
        else:
            await _check_records(request, kind, a, b)
            await call(store.add, kind, a, b, user.name, why)
    except ValueError as exc:
        form_values = {"kind": kind, "a": a, "b": b, "why": why}
        return await _home_page(request, user, {"error": str(exc), "form": form_values}, status=400)
    done = f"{'Removed' if action == 'remove' else 'Saved'}: {kind} {f'{a} {b}'.strip()}"
    return RedirectResponse(f"/staff?done={done}", status_code=303)


async def _check_records(request: Request, kind: str, a: str, b: str) -> None:
    if kind == "block":
        return
    for record_id in (a, b):
        if record_id and await call(request.app.state.catalog.stored, record_id) is None:
            raise ValueError(f"no stored record {record_id} (record ids look like source:localid)")


async def audit(request: Request) -> Response:
    user = _signed_in(request)
    if isinstance(user, Response):
        return user
    rows = await call(request.app.state.catalog.clusters.staff.audit, AUDIT_SHOWN)
    return _page(request, "staff_audit.html", {"user": user, "rows": rows, "shown": AUDIT_SHOWN})


ROUTES = [
    Route("/staff/sign-in", sign_in, methods=["GET", "POST"], name="staff_sign_in"),
    Route("/staff/sign-out", sign_out, methods=["POST"], name="staff_sign_out"),
    Route("/staff/overrides", overrides, methods=["POST"], name="staff_overrides"),
    Route("/staff/audit", audit, name="staff_audit"),
    Route("/staff", home, name="staff"),
]
