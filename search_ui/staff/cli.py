"""``unioncat staff add|remove|list``: the staff accounts that may sign in to the web pages.

Passwords are read with a hidden prompt (twice), or from standard input with ``--password-stdin`` for
scripts; only their Argon2 hash is stored. Changing a password or removing an account ends its sessions.
"""

from __future__ import annotations

import sys

import click

from harvester.cli import AppContext, pass_app
from harvester.store.staff import StaffStore
from search_ui.staff.passwords import hash_password


def _accounts(app: AppContext) -> StaffStore:
    return StaffStore(app.store())


@click.group()
def staff() -> None:
    """Staff accounts for the web pages (raw MARC, full feed messages, overrides)."""


@staff.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input (one line)")
@pass_app
def staff_add(app: AppContext, name: str, password_stdin: bool) -> None:
    """Add staff account NAME, or set its password."""
    name = name.strip()
    if not name or any(c.isspace() for c in name):
        raise click.ClickException("a staff name is one word (no spaces)")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    new = _accounts(app).add(name, hashed)
    click.echo(f"staff account {name} {'added' if new else 'updated (its sessions were ended)'}")


@staff.command("remove")
@click.argument("name")
@pass_app
def staff_remove(app: AppContext, name: str) -> None:
    """Remove staff account NAME and end its sessions."""
    removed = _accounts(app).remove(name.strip())
    if not removed:
        raise click.ClickException(f"no staff account {name}")
    click.echo(f"staff account {name} removed")


@staff.command("list")
@pass_app
def staff_list(app: AppContext) -> None:
    """Every staff account, by name."""
    names = _accounts(app).names()
    for name, _ in names:
        click.echo(name)
    if not names:
        click.echo("no staff accounts (add one with `unioncat staff add NAME`)")


COMMANDS: list[click.Command] = [staff]
