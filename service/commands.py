"""CLI commands of the service: ``serve``, ``keys``, ``users``, ``retention``, ``export``,
``voiceprints enroll/list/delete``, ``reps delete``.

Imports stay inside the commands so ``listenlens --help`` starts fast.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from listenlens.config.commands import ConfigOpt, SetOpt

keys_app = typer.Typer(help="API keys: each belongs to a tenant and sees only that tenant's calls.",
                       no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the pages: each belongs to a tenant, as admin, coach or rep.",
                        no_args_is_help=True)


voiceprints_app = typer.Typer(help="Reps' voiceprints (embeddings of their voices, never audio), per tenant.",
                              no_args_is_help=True)


reps_app = typer.Typer(help="Reps: erase everything a tenant holds about one (a rep who left, a GDPR erasure request).",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("retention")(retention)
    app.add_typer(keys_app, name="keys")
    app.add_typer(users_app, name="users")
    app.command("export")(export)
    app.add_typer(voiceprints_app, name="voiceprints")
    app.add_typer(reps_app, name="reps")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on (0.0.0.0: all)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
    config: Path | None = ConfigOpt,
    sets: list[str] | None = SetOpt,
) -> None:
    """Run the API (and, without LISTENLENS_BROKER_URL, the in-process worker)."""
    import logging

    import uvicorn

    from listenlens.config.commands import cli_settings
    from listenlens.service.app import create_app

    settings = cli_settings(config, sets)
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One process: the in-process worker and its loaded models live here, and a second
    # uvicorn worker would only duplicate them. Scale out with Celery workers instead.
    service = settings.service
    # X-Forwarded-* are believed only when LISTENLENS_TRUST_PROXY says a proxy sets them;
    # otherwise any client could claim to have come over TLS.
    uvicorn.run(create_app(service, settings), host=host, port=port, log_level=log_level, workers=1,
                proxy_headers=service.trust_proxy, forwarded_allow_ips="*" if service.trust_proxy else None)


@keys_app.command("create")
def keys_create(
    tenant: str = typer.Argument(..., help="tenant name (created if new)"),
    name: str | None = typer.Option(None, "--name", help="a note saying who or what uses the key"),
) -> None:
    """Create an API key for TENANT and print it (it is shown only this once)."""
    from listenlens.service.domain.auth import create_key
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt, rt.db.session() as s:
        key = create_key(s, tenant, name)
    typer.echo(key)
    typer.echo(f"API key for tenant {tenant!r}: send it as `Authorization: Bearer KEY`. It is not stored in clear "
               "and cannot be shown again.", err=True)


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="the key, or its prefix as `keys list` shows it")) -> None:
    """Revoke a key: requests with it answer 401 from now on."""
    from listenlens.errors import ListenlensError
    from listenlens.service.domain.auth import revoke_key
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt, rt.db.session() as s:
        if not revoke_key(s, key):
            raise ListenlensError(f"no active key matches {key!r}: see `listenlens keys list`")
    typer.echo("revoked")


@keys_app.command("list")
def keys_list(tenant: str | None = typer.Argument(None, help="only this tenant's keys")) -> None:
    """List keys (prefix, tenant, created, last used, revoked); never the keys themselves."""
    from listenlens.service.domain.auth import list_keys
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt, rt.db.session() as s:
        rows = list_keys(s, tenant)
    if not rows:
        typer.echo("no keys", err=True)
        return
    typer.echo("prefix\ttenant\tname\tcreated\tlast_used\trevoked")
    for k in rows:
        typer.echo("\t".join([k.prefix, k.tenant, k.name or "-", _t(k.created_at), _t(k.last_used_at),
                              _t(k.revoked_at)]))


def _read_password(confirm: bool = True) -> str:
    """The password from a hidden prompt on a terminal, else the first line of stdin (never a flag)."""
    import sys

    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("create")
def users_create(
    tenant: str = typer.Argument(..., help="tenant name (created if new)"),
    email: str = typer.Argument(..., help="the email the person signs in with"),
    role: str = typer.Option("coach", "--role", help="admin (also manages users), coach or rep"),
    rep: str | None = typer.Option(None, "--rep", help="for a rep: the rep name their calls carry"),
) -> None:
    """Create a user of TENANT. The password is asked for (or read from stdin)."""
    from listenlens.service.domain.accounts import create_user
    from listenlens.service.runtime import open_runtime

    password = _read_password()
    with open_runtime() as rt, rt.db.session() as s:
        user = create_user(s, tenant, email, password, role=role, rep=rep)
        email = user.email
    typer.echo(f"created {role} {email} in tenant {tenant!r}; they sign in at /ui/login")


@users_app.command("list")
def users_list(tenant: str | None = typer.Argument(None, help="only this tenant's users")) -> None:
    """List users (email, tenant, role, rep, created, last sign-in); never passwords."""
    from listenlens.service.domain.accounts import list_users
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt, rt.db.session() as s:
        rows = list_users(s, tenant)
    if not rows:
        typer.echo("no users", err=True)
        return
    typer.echo("email\ttenant\trole\trep\tcreated\tlast_sign_in\tlocked")
    for u in rows:
        typer.echo("\t".join([u.email, u.tenant, u.role, u.rep or "-", _t(u.created_at), _t(u.last_login_at),
                              "yes" if u.locked else "no"]))


@users_app.command("delete")
def users_delete(email: str = typer.Argument(..., help="the user's email")) -> None:
    """Delete a user; their open sessions end at once."""
    from listenlens.service.domain.accounts import delete_user, find_user
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt, rt.db.session() as s:
        delete_user(s, find_user(s, email))
    typer.echo("deleted")


@users_app.command("set-password")
def users_set_password(email: str = typer.Argument(..., help="the user's email")) -> None:
    """Give a user a new password (asked for, or read from stdin); signs them out everywhere."""
    from listenlens.service.domain.accounts import find_user, set_password
    from listenlens.service.runtime import open_runtime

    password = _read_password()
    with open_runtime() as rt, rt.db.session() as s:
        set_password(s, find_user(s, email), password)
    typer.echo("password changed")


def retention(
    days: float | None = typer.Option(None, "--days", help="override LISTENLENS_RETENTION_DAYS"),
) -> None:
    """Delete recordings older than the retention period now (scorecards and metrics stay)."""
    from listenlens.errors import ConfigError
    from listenlens.service.jobs.housekeeping import apply_retention
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt:
        if days is None and rt.settings.retention_days is None:
            raise ConfigError("no retention period: set LISTENLENS_RETENTION_DAYS or pass --days N")
        n = apply_retention(rt, days)
    typer.echo(f"deleted {n} recording(s)")


class ExportFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"


def export(
    week: list[str] = typer.Option(..., "--week", help="ISO week such as 2026-W47; repeat for several weeks"),
    tenant: str | None = typer.Option(None, "--tenant", help="tenant name (needed when there are several)"),
    fmt: ExportFormat = typer.Option(ExportFormat.csv, "--format", help="csv or parquet"),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="file to write (default: listenlens-WEEK.FORMAT in this folder)"),
) -> None:
    """Export a week's results (one row per done call, every metric) as CSV or Parquet."""
    from listenlens.config import load_settings
    from listenlens.errors import ListenlensError
    from listenlens.service.domain.auth import choose_tenant
    from listenlens.service.domain.exports import normalise_week, week_rows, write_export
    from listenlens.service.runtime import open_runtime

    weeks = [normalise_week(w) for w in week]  # bad weeks fail before the database is touched
    settings = load_settings().service
    if not settings.database_url and not (settings.resolved_home() / "listenlens.db").exists():
        raise ListenlensError(f"no listenlens database under {settings.resolved_home()}: set LISTENLENS_HOME to the "
                              "folder `listenlens serve` uses")
    with open_runtime(settings) as rt, rt.db.session() as s:
        chosen = choose_tenant(s, tenant)
        tenant_name = chosen.name
        rows = week_rows(s, chosen.id, weeks)
    fmt_name = fmt.value
    label = weeks[0] if len(weeks) == 1 else f"{weeks[0]}_{weeks[-1]}"
    path = write_export(rows, out or Path(f"listenlens-{label}.{fmt_name}"), fmt_name)
    typer.echo(str(path))
    typer.echo(f"{len(rows)} call(s) of tenant {tenant_name!r} in {', '.join(weeks)}", err=True)


def _t(dt) -> str:
    return "-" if dt is None else dt.strftime("%Y-%m-%d %H:%M")


TenantOpt = typer.Option(None, "--tenant", help="tenant name (needed when there are several)")


@voiceprints_app.command("enroll")
def voiceprints_enroll(
    rep: str = typer.Argument(..., help="the rep's id, as uploads name it (rep=...)"),
    clip: Path = typer.Argument(..., help="10 to 30 s of the rep speaking alone; it is not kept"),
    consent: bool = typer.Option(False, "--consent", help="the rep agreed to a voiceprint of their voice being kept"),
    tenant: str | None = TenantOpt,
) -> None:
    """Enroll REP's voice from CLIP (replacing any voiceprint REP has); needs --consent."""
    from listenlens.errors import ListenlensError
    from listenlens.service.domain import voiceprints
    from listenlens.service.domain.auth import choose_tenant
    from listenlens.service.runtime import open_runtime

    if not clip.is_file():
        raise ListenlensError(f"{clip} is not a file: give the enrollment recording")
    with open_runtime() as rt:
        with rt.db.session() as s:
            tenant_id = choose_tenant(s, tenant).id
        with open(clip, "rb") as f:
            vp = voiceprints.enroll(rt, tenant_id, rep, f, clip.name, consent=consent)
    typer.echo(f"enrolled {vp['rep']}: {vp['speech_s']:g} s of speech ({vp['model']}); the clip was not kept")


@voiceprints_app.command("list")
def voiceprints_list(tenant: str | None = TenantOpt) -> None:
    """List the tenant's voiceprints: rep, calls learned from, speech, enrolled, bands, and
    whether it is in use (a print of another encoder is stale)."""
    from listenlens.service.domain import voiceprints
    from listenlens.service.domain.auth import choose_tenant
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt, rt.db.session() as s:
        rows = voiceprints.list_voiceprints(s, choose_tenant(s, tenant).id, voiceprints.running_model(rt))
    if not rows:
        typer.echo("no voiceprints", err=True)
        return
    typer.echo("rep\tcalls\tspeech_s\tenrolled\tupdated\tbands\tstatus")
    for v in rows:
        typer.echo("\t".join([v["rep"], str(v["calls"]), f"{v['speech_s']:g}", "yes" if v["enrolled"] else "no",
                              v["updated_at"] or "-", ",".join(v["bands"]) or "-", v["note"] or "in use"]))


@voiceprints_app.command("delete")
def voiceprints_delete(
    rep: str = typer.Argument(..., help="the rep's id"),
    tenant: str | None = TenantOpt,
) -> None:
    """Delete REP's voiceprint."""
    from listenlens.service.domain import voiceprints
    from listenlens.service.domain.auth import choose_tenant
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt, rt.db.session() as s:
        voiceprints.remove(s, choose_tenant(s, tenant).id, rep)
    typer.echo(f"deleted {rep}'s voiceprint")


def _rep_summary(found) -> str:
    return (f"{found.calls} call(s) with {found.recordings} recording(s) and {found.scorecards} scorecard(s), "
            f"{found.jobs} pending job(s), {found.webhook_deliveries} webhook delivery(ies), "
            f"{found.voiceprints} voiceprint(s), {found.users} rep account(s)")


@reps_app.command("delete")
def reps_delete(
    rep: str = typer.Argument(..., help="the rep's id, as uploads name it (rep=...)"),
    tenant: str | None = TenantOpt,
    yes: bool = typer.Option(False, "--yes", help="erase without asking (scripts; nothing can bring it back)"),
) -> None:
    """Erase REP: every call (recording, transcript, scorecard, pending jobs, webhook deliveries),
    the voiceprint and the rep accounts filed under the name, in one tenant."""
    import sys

    from listenlens.errors import ListenlensError
    from listenlens.service.domain import reps
    from listenlens.service.domain.auth import choose_tenant
    from listenlens.service.runtime import open_runtime

    with open_runtime() as rt:
        with rt.db.session() as s:
            chosen = choose_tenant(s, tenant)
            tenant_id, tenant_name = chosen.id, chosen.name
            found = reps.preview(s, tenant_id, rep)
        if not yes:
            if not sys.stdin.isatty():
                raise ListenlensError(f"erasing {found.rep} cannot be undone: confirm with --yes")
            typer.echo(f"{found.rep} in tenant {tenant_name!r}: {_rep_summary(found)}.")
            if not typer.confirm("Erase all of it? This cannot be undone", default=False):
                typer.echo("nothing erased", err=True)
                raise typer.Exit(1)
        done = reps.erase(rt, tenant_id, found.rep)
    typer.echo(f"erased {done.rep} in tenant {tenant_name!r}: {_rep_summary(done)}")
