"""How many wrong passwords a sign-in may try: a few per account, more per client, in a sliding window.

Argon2 makes each guess slow, but nothing stopped a script from guessing all day, and every guess costs
the server an Argon2 hash. So after `PER_ACCOUNT` failed sign-ins for one name (whether or not such an
account exists, so the answer does not tell which names do) or `PER_CLIENT` from one address within
`WINDOW` seconds, the form says when to try again and checks no password until then. The counts live
in the record store, so every ``serve`` worker process sees the same ones. A successful sign-in clears
its account's count. (Behind a reverse proxy every client has the proxy's address: the per-client limit
then applies to all of them together, which is why it is four times the per-account one.)
"""

from __future__ import annotations

import math
import time

from harvester.store.staff import StaffStore

WINDOW = 15 * 60
PER_ACCOUNT = 5
PER_CLIENT = 20


def _keys(name: str, client: str) -> tuple[str, str]:
    return f"name:{name.casefold()}", f"client:{client}"


def wait_seconds(accounts: StaffStore, name: str, client: str, now: float | None = None) -> int:
    """Seconds until this name may be tried again from this client; 0 = try now."""
    now = time.time() if now is None else now
    wait = 0.0
    for key, limit in zip(_keys(name, client), (PER_ACCOUNT, PER_CLIENT), strict=True):
        failures = accounts.failures_since(key, now - WINDOW)
        if len(failures) >= limit:  # free again when enough of them have left the window
            wait = max(wait, failures[len(failures) - limit] + WINDOW - now)
    return max(0, math.ceil(wait))


def failed(accounts: StaffStore, name: str, client: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    accounts.record_failures(list(_keys(name, client)), now, forget_before=now - WINDOW)


def succeeded(accounts: StaffStore, name: str) -> None:
    accounts.clear_failures(_keys(name, "")[0])


def wait_text(seconds: int) -> str:
    """ "Too many …; try again in 4 minutes." for the sign-in form."""
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-ins for this name or from this address; try again in {minutes} {unit}."
