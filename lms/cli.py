"""Flask commands: users, demo (and, in later modules, curricula)."""

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from lms.db import db
from lms.errors import ValidationError
from lms.models import Role
from lms.services import accounts, demo

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--phone", required=True, help="11-digit mainland mobile number (the login).")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.password_option(help="Prompted when not given.")
def create_user_command(phone: str, name: str, role: str, password: str) -> None:
    """Create a user, e.g. the first admin of a fresh deployment."""
    try:
        user = accounts.create_user(None, accounts.NewUser(phone, name, Role(role), password))
    except ValidationError as e:
        db.session.rollback()
        for message in e.errors.values():
            click.echo(f"错误 error: {message}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.name} ({user.phone})")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create (idempotently) the demo programme and print the demo logins."""
    report = demo.create_demo()
    db.session.commit()
    click.echo(f"demo: {len(report.created)} rows created")
    click.echo(f"demo logins (password {demo.DEMO_PASSWORD}):")
    trainees = [login for login in report.logins if login[0] == Role.TRAINEE.label]
    for role, phone, name in [login for login in report.logins if login not in trainees]:
        click.echo(f"  {role}  {phone}  {name}")
    click.echo(f"  {Role.TRAINEE.label}  {trainees[0][1]} … {trainees[-1][1]}  ({len(trainees)})")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
