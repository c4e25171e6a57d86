"""Who is asking: the signed-in staff member of a request, or nobody (the public).

The session middleware (`search_ui.staff.session`) puts a `StaffUser` in the ASGI scope; every view
asks `staff_of(request)` and nothing else, so a request is public unless a valid session says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from indexer.catalog import Catalog

SCOPE_KEY = "unioncat.staff"
CSRF_SCOPE_KEY = "unioncat.csrf"


@dataclass(frozen=True, slots=True)
class StaffUser:
    """A signed-in staff member; ``via`` is "password" or "proxy" (the trusted auth header)."""

    name: str
    via: str = "password"


def staff_of(request: HTTPConnection) -> StaffUser | None:
    user = request.scope.get(SCOPE_KEY)
    return user if isinstance(user, StaffUser) else None


def visible_catalog(request: HTTPConnection, catalog: Catalog) -> Catalog:
    """The catalog as this request may read it: whole for staff, `PublicCatalog` for everyone else."""
    if staff_of(request) is not None:
        return catalog
    from search_ui.staff.public import public_catalog

    return public_catalog(catalog, request.app.state.hidden_fields)
