"""Staff accounts and their sign-in sessions, in the record store (their own migration namespace).

The store keeps only what it is handed: a password *hash* (made by `search_ui.staff.passwords`, never
a password) and a session token's SHA-256 (the token itself lives only in the browser's cookie), so
a copy of the database signs nobody in.

    accounts = StaffStore(store)
    accounts.add("ada", hashed)
    accounts.open_session(token_digest, "ada", expires_at)
"""

from __future__ import annotations

import time

from harvester.store.database import Database

MIGRATIONS = (
    """
    CREATE TABLE staff_accounts (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE staff_sessions (
        token_digest TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX staff_sessions_name ON staff_sessions (name);
    """,
    """
    CREATE TABLE staff_sign_in_failures (
        key TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX staff_sign_in_failures_key ON staff_sign_in_failures (key, at);
    """,
)


class StaffStore:
    """The ``staff_accounts``, ``staff_sessions`` and ``staff_sign_in_failures`` tables."""

    def __init__(self, store: Database) -> None:
        self.store = store
        store.migrate("staff", MIGRATIONS)

    def add(self, name: str, password_hash: str) -> bool:
        """Add an account, or replace its password; True when the account is new."""
        with self.store.transaction() as db:
            new = not db.execute("SELECT 1 FROM staff_accounts WHERE name = ?", (name,)).fetchone()
            db.execute(
                "INSERT INTO staff_accounts VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "password_hash = excluded.password_hash",
                (name, password_hash, time.time()),
            )
            if not new:  # a new password ends the sessions opened with the old one
                db.execute("DELETE FROM staff_sessions WHERE name = ?", (name,))
        return new

    def remove(self, name: str) -> bool:
        """Remove an account and end its sessions; False when there was none."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM staff_sessions WHERE name = ?", (name,))
            return bool(db.execute("DELETE FROM staff_accounts WHERE name = ?", (name,)).rowcount)

    def password_hash(self, name: str) -> str | None:
        rows = self.store.query("SELECT password_hash FROM staff_accounts WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set_hash(self, name: str, password_hash: str) -> None:
        """Store a re-hash of the same password (stronger parameters) without ending sessions."""
        with self.store.transaction() as db:
            db.execute("UPDATE staff_accounts SET password_hash = ? WHERE name = ?", (password_hash, name))

    def names(self) -> list[tuple[str, float]]:
        return [(row[0], row[1]) for row in self.store.query(
            "SELECT name, created_at FROM staff_accounts ORDER BY name")]

    def open_session(self, token_digest: str, name: str, expires_at: float) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM staff_sessions WHERE expires_at < ?", (time.time(),))
            db.execute("INSERT INTO staff_sessions VALUES (?, ?, ?, ?)", (token_digest, name, time.time(), expires_at))

    def session_user(self, token_digest: str) -> str | None:
        """The account of a live session (expired sessions and removed accounts sign nobody in)."""
        rows = self.store.query(
            "SELECT s.name FROM staff_sessions s JOIN staff_accounts a ON a.name = s.name "
            "WHERE s.token_digest = ? AND s.expires_at > ?", (token_digest, time.time()))
        return str(rows[0][0]) if rows else None

    def record_failures(self, keys: list[str], at: float, forget_before: float) -> None:
        """Note a failed sign-in under each key (an account name, a client); rows older than
        `forget_before` are dropped on the way, so the table holds one window's failures."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM staff_sign_in_failures WHERE at < ?", (forget_before,))
            db.executemany("INSERT INTO staff_sign_in_failures VALUES (?, ?)", [(key, at) for key in keys])

    def failures_since(self, key: str, since: float) -> list[float]:
        """When the failed sign-ins under `key` since `since` happened, oldest first."""
        rows = self.store.query("SELECT at FROM staff_sign_in_failures WHERE key = ? AND at >= ? ORDER BY at",
                                (key, since))
        return [float(row[0]) for row in rows]

    def clear_failures(self, key: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM staff_sign_in_failures WHERE key = ?", (key,))

    def close_session(self, token_digest: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM staff_sessions WHERE token_digest = ?", (token_digest,))
