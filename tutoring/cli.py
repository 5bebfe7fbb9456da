"""Command-line tools under ``flask --app wsgi`` (SPEC §3); thin wrappers over services."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from tutoring.extensions import db
from tutoring.models import KINDS, LANGUAGES, ROLES, User
from tutoring.services.people.accounts import AccountError, create_user, issue_api_token, parse_kinds
from tutoring.services.minors import guardians
from tutoring.services.coordinators.coordination import CoordinationError, mark_cleared, mark_trained
from tutoring.services.demodata.demo import DEMO_PASSWORD, demo_label, load_demo
from tutoring.services.support.help import ImportRejected, add_resource, import_resources
from tutoring.timeutil import utcnow
from tutoring.worker import run_worker_command
from tutoring.services.schedules.external_calendars import refresh_all_calendars, refresh_due_calendars
from tutoring.services.notices.clock_notices import queue_clock_change_notices
from tutoring.booking.waitlist import check_waitlists
from tutoring.services.people.privacy import note_retention_days, purge_old_notes
from tutoring.services.discovery.search import rebuild_subject_terms
from tutoring.services.sessions.rooms import message_retention_days, purge_old_messages

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Manage personal API tokens.")
calendars_cli = AppGroup("calendars", help="Volunteers' own calendars (busy times).")


def _read_password() -> str:
    """The password from standard input: prompted twice on a terminal, else the first line."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What this person does.")
@click.option("--name", "display_name", required=True, help="Display name (no real name needed).")
@click.option("--timezone", required=True, help="IANA zone, e.g. Africa/Cairo.")
@click.option("--language", type=click.Choice(LANGUAGES), default="en", show_default=True, help="UI language.")
@click.option("--kinds", help=f"Volunteers only: comma-separated, from {','.join(KINDS)} (default: all).")
@click.option("--approved", is_flag=True, help="Volunteers only: bookable right away.")
@click.option("--trained", help="Volunteers only: kinds they are trained for (comma-separated; SPEC §7).")
@click.option("--cleared-for-minors", "cleared", is_flag=True,
              help="Volunteers only: their check for work with minors is done (from today, no expiry; SPEC §7).")
@click.option("--minor", is_flag=True, help="Learners only: under 18 (needs --guardian).")
@click.option("--guardian", help="With --minor: the guardian's email; they are asked to consent.")
def create_user_command(email, role, display_name, timezone, language, kinds, approved, trained, cleared, minor,
                        guardian):
    """Create a user; the password is read from standard input."""
    if cleared and role != "volunteer":
        raise click.ClickException("--cleared-for-minors only applies to volunteers")
    if (minor or guardian) and (role != "learner" or not (minor and guardian)):
        raise click.ClickException("--minor and --guardian EMAIL go together, for learners only")
    if guardian and ("@" not in guardian or any(ch.isspace() for ch in guardian) or len(guardian) > 254):
        raise click.ClickException(f"{guardian!r} is not an email address")
    try:
        kind_list = parse_kinds(kinds) if kinds is not None else None
        trained_list = parse_kinds(trained) if trained is not None else []
        user = create_user(
            email,
            role=role,
            display_name=display_name,
            timezone=timezone,
            password=_read_password(),
            language=language,
            kinds=kind_list,
            approved=approved,
            trained=trained_list,
        )
        if minor:
            guardians.request_consent(user, guardian)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    if cleared:
        mark_cleared(None, user.id, checked_on=utcnow().date(), note="Recorded when the account was created.")
    state = f", {user.volunteer_profile.state}" if user.volunteer_profile else ""
    extra = ", cleared for minors" if cleared else ", minor: the guardian was asked to consent" if minor else ""
    click.echo(f"Created {user.role} {user.email} (id {user.id}{state}{extra}).")


@users_cli.command("train")
@click.argument("email")
@click.option("--kind", required=True, type=click.Choice(KINDS), help="The kind of session they are trained for.")
@click.option("--until", "until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day the training counts.")
@click.option("--note", default="", help="A note for coordinators.")
def train_user_command(email, kind, until, note):
    """Mark the volunteer with EMAIL trained for KIND from today (logged, by the operator)."""
    user = User.by_email(email)
    if user is None or user.volunteer_profile is None:
        raise click.ClickException(f"no volunteer with email {email}")
    try:
        record = mark_trained(None, user.id, kind, trained_on=utcnow().date(),
                              expires_on=until.date() if until else None, note=note)
    except CoordinationError as error:
        raise click.ClickException(error.message) from error
    until_text = record.expires_on.isoformat() if record.expires_on else "no expiry"
    click.echo(f"{user.email} is trained for {kind} ({until_text}).")


@users_cli.command("clear")
@click.argument("email")
@click.option("--until", "until", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Last day the clearance counts (a UTC date).")
@click.option("--checked-on", "checked_on", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The check's date (default: today).")
@click.option("--note", default="", help="A note for coordinators (no documents).")
def clear_user_command(email, until, checked_on, note):
    """Record the volunteer with EMAIL cleared for work with minors (logged, by the operator)."""
    user = User.by_email(email)
    if user is None or user.volunteer_profile is None:
        raise click.ClickException(f"no volunteer with email {email}")
    try:
        record = mark_cleared(None, user.id, checked_on=checked_on.date() if checked_on else utcnow().date(),
                              expires_on=until.date() if until else None, note=note)
    except CoordinationError as error:
        raise click.ClickException(error.message) from error
    until_text = record.expires_on.isoformat() if record.expires_on else "no expiry"
    click.echo(f"{user.email} is cleared for minors ({until_text}).")


@tokens_cli.command("create")
@click.argument("email")
def create_token_command(email):
    """Print a new personal API token for the user with EMAIL (shown only this once)."""
    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    try:
        raw = issue_api_token(user)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(raw)


@click.command("demo")
@with_appcontext
def demo_command():
    """Load demo volunteers, learners and a coordinator (safe to run again)."""
    result = load_demo()
    click.echo(f"Demo data: {len(result.created)} created, {len(result.existing)} already there.")
    click.echo(f"Every demo account signs in with the password: {DEMO_PASSWORD}")
    for user in result.everyone:
        click.echo(f"  {user.role:<12} {user.email:<32} {user.timezone:<20} {user.language}{demo_label(user)}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due, then exit (instead of polling until SIGTERM).")
@with_appcontext
def worker_command(once):
    """Send due mail from the outbox and queue reminders; polls until SIGTERM (or, --once, until nothing is due)."""
    run_worker_command(once=once)


@calendars_cli.command("refresh")
@click.option("--due", is_flag=True, help="Only the calendars whose scheduled read has come (what the worker does).")
def refresh_calendars_command(due):
    """Read volunteers' own calendars now and store their busy times (failures keep the last good copy)."""
    if due:
        click.echo(f"Read {refresh_due_calendars(limit=1_000_000)} calendars whose turn it was.")
        return
    read, failed = refresh_all_calendars()
    click.echo(f"Read {read} calendars; {failed} could not be read (their last good copy is kept).")


notices_cli = AppGroup("notices", help="Jobs that tell people about changes (the worker runs them too).")


@notices_cli.command("clock-changes")
def clock_changes_command():
    """Queue clock-change notices for weekly sessions a week (or less) away; safe to run again."""
    click.echo(f"Clock-change notices: {queue_clock_change_notices()} people told.")


@notices_cli.command("waitlists")
def waitlists_command():
    """Tell waiting learners about newly free times that match their requests (at most once a day each)."""
    click.echo(f"Waitlists: {check_waitlists()} learners told.")


privacy_cli = AppGroup("privacy", help="Keep the promises of docs/SECURITY.md (the worker runs these too).")


@privacy_cli.command("purge-notes")
@click.option("--days", type=click.IntRange(min=0), help="Override TUTORING_NOTE_RETENTION_DAYS for this run.")
def purge_notes_command(days):
    """Clear learners' notes of sessions that ended more than the retention period ago."""
    kept = note_retention_days() if days is None else days
    click.echo(f"Cleared the notes of {purge_old_notes(days=days)} bookings whose sessions ended over {kept} days ago.")


@privacy_cli.command("purge-messages")
@click.option("--days", type=click.IntRange(min=0), help="Override TUTORING_MESSAGE_RETENTION_DAYS for this run.")
def purge_messages_command(days):
    """Delete session-room messages of sessions that ended more than the retention period ago (not reported ones)."""
    kept = message_retention_days() if days is None else days
    click.echo(f"Deleted {purge_old_messages(days=days)} room messages of sessions that ended over {kept} days ago.")


help_cli = AppGroup("help", help="Crisis and emergency lines for the help page (SPEC §7).")
search_cli = AppGroup("search", help="The volunteer search.")


@search_cli.command("rebuild-keys")
def rebuild_keys_command():
    """Rebuild the subject search terms of every volunteer (after the subject vocabulary or normaliser changed)."""
    click.echo(f"Rebuilt the subject search terms of {rebuild_subject_terms()} volunteers.")


@help_cli.command("add")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, or * for the default line.")
@click.option("--name", required=True)
@click.option("--phone")
@click.option("--text", help="Text/SMS number.")
@click.option("--whatsapp", help="WhatsApp number with its country code, e.g. +20 100 000 0000.")
@click.option("--url")
@click.option("--languages", help="Comma-separated language codes, e.g. ar,en.")
@click.option("--hours")
def add_help_command(country, name, phone, text, whatsapp, url, languages, hours):
    """Add a line to the help page (logged, by the operator)."""
    try:
        resource = add_resource(None, {"country": country, "name": name, "phone": phone, "text": text, "url": url,
                                       "whatsapp": whatsapp, "languages": languages or "", "hours": hours})
    except CoordinationError as error:
        raise click.ClickException(f"{error.field or 'input'}: {error.message}") from error
    click.echo(f"Added help line {resource.id} for {resource.country or 'every country without its own'}.")


@help_cli.command("import")
@click.argument("file", type=click.File("rb"))
def import_help_command(file):
    """Add every line of a CSV file (columns country,name,phone,text,whatsapp,url,languages,hours), or none."""
    try:
        count = import_resources(None, file.read())
    except ImportRejected as error:
        lines = [error.message] + [f"row {row}, {problem.field or 'row'}: {problem.message}"
                                   for row, problem in error.problems]
        raise click.ClickException("\n".join(lines)) from error
    except CoordinationError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Imported {count} help lines.")


def register_cli(app: Flask) -> None:
    """Attach the commands to ``app``."""
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(calendars_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(notices_cli)
    app.cli.add_command(help_cli)
    app.cli.add_command(search_cli)
