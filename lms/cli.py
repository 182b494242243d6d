"""Flask commands: users, curricula, files, facts, jobs, worker, backup, restore, demo, synth."""

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select, text

from lms.db import db
from lms.devdata import demo, synth
from lms.errors import LmsError, ValidationError
from lms.jobs import redis_queue, tick
from lms.models import ReportPeriod, Role, TraineeProfile
from lms.reporting import facts, figures
from lms.services import accounts, backup, curricula, files
from lms.services.curricula.files import load_tree

users_cli = AppGroup("users", help="Manage user accounts.")
curricula_cli = AppGroup("curricula", help="Check and import the course files.")
files_cli = AppGroup("files", help="Uploaded files: photos, staged forms, rosters.")
facts_cli = AppGroup("facts", help="The per-trainee facts the read side keeps on every write.")
jobs_cli = AppGroup("jobs", help="Background jobs and the periodic work.")


def _curricula_path(path: str | None) -> Path:
    return Path(path or current_app.config["CURRICULA_PATH"])


@curricula_cli.command("check")
@click.argument("path", required=False)
def check_command(path: str | None) -> None:
    """Check every file under PATH (default: the configured curricula folder)."""
    tree, problems = load_tree(_curricula_path(path))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        raise SystemExit(1)
    counts = ", ".join(f"{n} {kind}" for kind, n in tree.counts().items())
    click.echo(f"curricula ok: {counts}")


@curricula_cli.command("import")
@click.argument("path", required=False)
@click.option("--dry-run", is_flag=True, help="Report what would change, change nothing.")
def import_command(path: str | None, dry_run: bool) -> None:
    """Create, update or archive curriculum rows from the files under PATH (all or nothing)."""
    try:
        report = curricula.import_tree(_curricula_path(path))
    except curricula.CurriculumInvalid as invalid:
        db.session.rollback()
        for problem in invalid.problems:
            click.echo(str(problem))
        click.echo(f"{len(invalid.problems)} problem(s) found; nothing imported", err=True)
        raise SystemExit(1) from None
    if dry_run:
        db.session.rollback()
        click.echo("dry run: nothing was changed")
    else:
        db.session.commit()
    click.echo(report.summary())


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


@files_cli.command("sweep")
def sweep_command() -> None:
    """Remove files no live record needs: staged uploads and rosters older than a day, photos
    no record names, and the photos of records deleted more than a day ago. Run it daily."""
    report = files.sweep()
    db.session.commit()
    click.echo(report.summary())


@jobs_cli.command("tick")
def tick_command() -> None:
    """The periodic work; run it every hour from cron on one host: the files sweep, kept job
    files past their day, old job rows, and jobs a worker lost."""
    report = tick.tick()
    db.session.commit()
    click.echo(report.summary())


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run the background jobs queued on Redis (LMS_JOB_QUEUE_URL): an RQ worker."""
    if not current_app.config.get("JOB_QUEUE_URL"):
        click.echo("error: LMS_JOB_QUEUE_URL is not set: jobs run inside the web process", err=True)
        raise SystemExit(1)
    redis_queue.work(burst=burst)


@facts_cli.command("rebuild")
def facts_rebuild_command() -> None:
    """Recompute every trainee's facts from the records (once after upgrading to the release
    that added them, or after loading rows by hand)."""
    started = time.perf_counter()
    n = facts.rebuild()
    db.session.commit()
    click.echo(f"facts rebuilt for {n} trainees in {time.perf_counter() - started:.1f}s")


@facts_cli.command("check")
def facts_check_command() -> None:
    """Compare the stored facts of every trainee with a live computation; exit 1 on a difference."""
    ids = sorted(db.session.scalars(select(TraineeProfile.user_id)))
    wrong = {}
    for i in range(0, len(ids), facts.CHUNK):
        wrong.update(facts.differences(ids[i : i + facts.CHUNK]))
    for key, (kept, live) in list(wrong.items())[:20]:
        click.echo(f"{key}: stored {kept} live {live}")
    click.echo(f"facts checked for {len(ids)} trainees: {len(wrong)} differ")
    periods = list(db.session.scalars(select(ReportPeriod.id).order_by(ReportPeriod.id)))
    stale = {p: found for p in periods if (found := figures.differences(p))}
    for period_id, found in stale.items():
        click.echo(f"report period {period_id}: {', '.join(found)} differ")
    click.echo(f"kept figures checked for {len(periods)} periods: {len(stale)} differ")
    if wrong or stale:
        raise SystemExit(1)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write the database and the evidence photos to the archive PATH (.tar.gz)."""
    try:
        report = backup.backup(path)
    except backup.BackupFailed as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(1) from None
    click.echo(f"backup written: {report.summary()}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database and the evidence photos with the archive PATH. Stop the web
    workers first; run `db upgrade` afterwards if the archive is from an older release."""
    if not yes:
        click.confirm("This replaces every record and photo with the archive's. Go on?", abort=True)
    try:
        report = backup.restore(path)
    except (backup.BackupFailed, OSError, ValueError, KeyError) as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(1) from None
    click.echo(f"restored: {report.summary()}")


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


@click.command("synth")
@click.option("--trainees", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0))
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Default: today in China.")
@with_appcontext
def synth_command(trainees: int, seed: int, today) -> None:
    """Build a synthetic programme of TRAINEES trainees over the two years before TODAY."""
    started = time.perf_counter()
    try:
        report = synth.build_programme(trainees, seed, today=today.date() if today else None)
    except LmsError as e:
        db.session.rollback()
        click.echo(f"错误 error: {e}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    analyze()
    click.echo(f"synth {report.summary()} in {time.perf_counter() - started:.1f}s")


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load (without them PostgreSQL may choose
    plans that take minutes instead of milliseconds, and SQLite reads every verified record
    through the index on status instead of the dated partial index). On PostgreSQL also
    VACUUM, so that index-only scans need not visit the new rows' pages (autovacuum would do
    it, later)."""
    statement = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(curricula_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(facts_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(synth_command)
