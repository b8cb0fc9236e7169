"""`crm`: run services (all-in-one or a selection), the local stack, dev tokens."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from pydantic import ValidationError

from crm_shared.config import Settings
from crm_shared.observability import configure_logging
from crm_shared.plugins import PluginError, discover
from crm_shared.stack import Stack, StackError, stack_from_env

if TYPE_CHECKING:
    from crm_shared.nats_auth.callout import AuthCallout

cli = typer.Typer(help="Multi-branch sales CRM.", no_args_is_help=True, add_completion=False)

ServicesOpt = Annotated[str, typer.Option("--services", "-s", help="'all' or comma-separated names: leads,reception,notify,reports,console")]
HostOpt = Annotated[str, typer.Option(help="HTTP bind address")]
PortOpt = Annotated[int, typer.Option(help="HTTP port")]
DataOpt = Annotated[Path, typer.Option(help="Data directory")]
NatsPortOpt = Annotated[int, typer.Option(help="NATS port")]
StorePortOpt = Annotated[int, typer.Option(help="Dev store port")]
DevstoreOpt = Annotated[Path, typer.Option(help="Dev store binary")]
WorkersOpt = Annotated[int, typer.Option(min=1, max=64, help="Worker processes, each a full replica of the chosen "
                                         "services (timers, relays and consumers are replica-safe); use about one per core")]


def _start_stack(data: Path, nats_port: int, store_port: int, devstore: Path) -> Stack:
    st = stack_from_env(data, nats_port, store_port, devstore)
    try:
        return st.start()
    except StackError as exc:
        typer.secho(f"crm: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None


def _callout(settings: Settings) -> AuthCallout:
    """The auth callout of these settings (its issuer seed checked, before any connection), or a
    one-line message naming what is wrong and exit 2."""
    from crm_shared.nats_auth.callout import AuthCallout

    try:
        return AuthCallout(settings)
    except ValueError as exc:
        typer.secho(f"crm: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


def _start_callout(settings: Settings) -> None:
    """With CRM_NATS_AUTH_ISSUER_SEED set, `crm serve` also answers NATS's auth callout (a thread of
    its own, so it serves with any number of workers)."""
    if not settings.nats_auth_issuer_seed:
        return
    import asyncio

    callout = _callout(settings)

    def run() -> None:
        async def forever() -> None:
            await callout.start()  # retried quietly while NATS is down
            await asyncio.Event().wait()

        asyncio.run(forever())

    threading.Thread(target=run, name="nats-auth", daemon=True).start()


class _Server(uvicorn.Server):
    """uvicorn's server, which the app can stop with an exit code (a start that failed for good)."""

    exit_code = 0

    def stop(self, code: int) -> None:
        self.exit_code, self.should_exit = code, True


def _stopped(signum: int, _frame: object) -> None:
    """SIGTERM/SIGINT outside uvicorn's serving: a normal exit.

    While serving, uvicorn's own handlers take both signals and shut down gracefully (in-flight
    requests, then the lifespan's stop); afterwards uvicorn raises the signal again for the handler
    that was there before -- this one -- so a stop on request exits 0 instead of dying of the
    signal (143) or of a KeyboardInterrupt."""
    raise SystemExit(0)


def _serve(settings: Settings, services: str, host: str, port: int, workers: int = 1) -> None:
    from crm_shared.app import create_app

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stopped)
    try:
        plugins = discover(services)
        # every setting (the root's, each service's, production's refusals) is validated here, before any
        # connection; the servers are then reached in the background, with retries
        app = create_app(plugins, settings, serve_while_starting=True)
    except PluginError as exc:
        typer.secho(f"crm: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_json)
    _start_callout(settings)
    grace = settings.shutdown_grace_seconds  # for in-flight requests; the lifespan's stop bounds its own steps
    if workers > 1:  # each worker builds its app from the environment, as a separate replica would
        os.environ["CRM_SERVICES"] = services
        uvicorn.run("crm_shared.app:app_from_env", factory=True, workers=workers, host=host, port=port,
                    log_config=None, lifespan="on", timeout_graceful_shutdown=grace)
        return
    server = _Server(uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="on",
                                    timeout_graceful_shutdown=grace))
    app.state.stop_server = server.stop
    server.run()
    if server.exit_code:
        raise typer.Exit(server.exit_code)


def _root_settings() -> Settings:
    """The root settings, or a one-line message naming what is wrong (not a traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        typer.secho(f"crm: {problems}", fg="red", err=True)
        raise typer.Exit(2) from None


@cli.command()
def serve(services: ServicesOpt = "all", host: HostOpt = "", port: PortOpt = 0, workers: WorkersOpt = 1) -> None:
    """Run the chosen services against CRM_MONGO_URL and CRM_NATS_URL, in this process or in
    `--workers` processes sharing the port."""
    settings = _root_settings()
    _serve(settings, services, host or settings.http_host, port or settings.http_port, workers)


@cli.command()
def stack(data: DataOpt = Path(".data"), nats_port: NatsPortOpt = 4222, store_port: StorePortOpt = 27017,
          devstore: DevstoreOpt = Path(".tools/devstore")) -> None:
    """Start NATS and the dev store, and keep them up until Ctrl-C."""
    st = _start_stack(data, nats_port, store_port, devstore)
    typer.echo(f"NATS {st.nats_url}   store {st.mongo_url}   (Ctrl-C stops both)\n"
               "  (the NATS URL carries the services' credentials: give it to `crm serve` as CRM_NATS_URL;\n"
               f"   integrators connect to {st.nats_address} with a token, see `crm events --help`)")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    st.stop()


@cli.command()
def dev(
    services: ServicesOpt = "all",
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    data: DataOpt = Path(".data"),
    nats_port: NatsPortOpt = 4222,
    store_port: StorePortOpt = 27017,
    devstore: DevstoreOpt = Path(".tools/devstore"),
    demo: Annotated[bool, typer.Option(help="Load the demo sales office when the store has none")] = True,
) -> None:
    """The whole system on this machine: local stack plus every service in one process."""
    st = _start_stack(data, nats_port, store_port, devstore)
    try:
        os.environ.setdefault("CRM_NATS_URL", st.nats_address)
        if st.access is not None:
            os.environ.setdefault("CRM_NATS_USER", st.access.user)  # the services' credentials of this stack
            os.environ.setdefault("CRM_NATS_PASSWORD", st.access.password)
        os.environ.setdefault("CRM_MONGO_URL", st.mongo_url)
        settings = Settings()
        base = f"http://{host}:{port}"
        typer.echo(
            f"\nCRM dev: NATS {settings.nats_url}, store {settings.mongo_url}\n"
            f"  Console   {base}/console  (sign in as anyone of the demo office)\n"
            f"  API       {base}  (OpenAPI {base}/docs, {base}/openapi.json)\n"
            f"  Events    {base}/asyncapi  ({base}/asyncapi.json)\n"
            f"  Health    {base}/healthz  {base}/readyz  {base}/metrics\n"
            f"  Token     .venv/bin/crm token --role admin --branches '*'\n"
            f"  Events    .venv/bin/crm events --token \"$(.venv/bin/crm token --role integrator --sub my-erp "
            f"--branches <branch>)\"  (an integrator's view of NATS)\n"
        )
        if demo:
            from crm_shared.demo import load_when_ready

            threading.Thread(target=load_when_ready, args=(base, settings), daemon=True).start()
        _serve(settings, services, host, port)
    finally:
        st.stop()


@cli.command()
def token(
    role: Annotated[str, typer.Option(help="admin manager consultant reception partner integrator")] = "admin",
    branches: Annotated[str, typer.Option(help="comma-separated branch ids, or *")] = "*",
    sub: Annotated[str, typer.Option(help="staff, partner or integrator id")] = "dev-admin",
    ttl: Annotated[int, typer.Option(help="seconds")] = 86400,
) -> None:
    """Print a development bearer token signed with CRM_JWT_SECRET."""
    from crm_shared.http.auth import mint_token

    typer.echo(mint_token(Settings(), sub, role, [b.strip() for b in branches.split(",")], ttl))  # type: ignore[arg-type]


@cli.command("bootstrap-admin")
def bootstrap_admin(
    name: Annotated[str, typer.Option(help="The administrator's name, as people will see it")],
    sub: Annotated[str | None, typer.Option(help="Their id: the identity provider's subject (the claim "
                                            "CRM_JWT_SUBJECT_CLAIM names); a second run with it does nothing")] = None,
    branch: Annotated[str, typer.Option(help="Their home branch id; created with default settings when missing")] = "hq",
    branch_name: Annotated[str, typer.Option(help="Name of the branch, if it is created")] = "集团总部",
    phone: Annotated[str | None, typer.Option(help="Work phone")] = None,
    email: Annotated[str | None, typer.Option(help="Work email")] = None,
    force: Annotated[bool, typer.Option(help="Add an administrator although one exists")] = False,
    token_minutes: Annotated[int, typer.Option(min=5, max=1440, help="Lifetime of the first sign-in token (HS256)")] = 60,
) -> None:
    """Create the first group administrator (a staff member with role admin) through the leads service, with the
    settings of `crm serve`; prints what to do next (deploy/README.md "First administrator")."""
    import asyncio

    from crm_shared.errors import DomainError

    settings = _root_settings()
    configure_logging("WARNING", settings.log_json)
    try:
        discover("leads")
        from crm_leads.staff import bootstrap as admin  # the leads service owns staff
    except PluginError as exc:
        typer.secho(f"crm: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    request = admin.AdminRequest(name=name, branch_id=branch, branch_name=branch_name, sub=sub, phone=phone,
                                 email=email, force=force)
    try:
        outcome = asyncio.run(admin.run(settings, request))
    except (DomainError, PluginError) as exc:
        typer.secho(f"crm: {exc}", fg="red", err=True)
        raise typer.Exit(1 if getattr(exc, "status", 400) == 409 else 2) from None
    if outcome.status == "refused":
        names = ", ".join(f"{a['name']} ({a['_id']})" for a in outcome.admins)
        typer.secho(f"crm: an administrator exists already: {names}; nothing changed (--force adds another)",
                    fg="red", err=True)
        raise typer.Exit(1)
    member = outcome.staff or {}
    if outcome.status == "exists":
        typer.echo(f"Administrator {member['name']} ({member['_id']}) exists already; nothing changed.")
    else:
        made = f" in the new branch {branch} ({branch_name})" if outcome.branch_created else f" in branch {branch}"
        typer.echo(f"Administrator {member['name']} created{made}: id {member['_id']}.")
        if not outcome.published:
            typer.echo("NATS did not take staff.joined yet: it stays in the outbox, and the next leads replica sends it.")
    for line in admin.next_steps(settings, outcome, token_minutes):
        typer.echo(line)


@cli.command()
def events(
    subject: Annotated[str, typer.Argument(help="Subject filter, e.g. 'crm.sz-bay.lead.>'")] = "",
    from_start: Annotated[bool, typer.Option("--from-start", help="Replay the stream from its first event")] = False,
    token: Annotated[str, typer.Option(envvar="CRM_NATS_TOKEN", help="An integrator's CRM token: connect as that "
                                       "integrator (its branches only), as a partner system would")] = "",
) -> None:
    """Print events as they are published: with --token as an integrator sees them (its branches,
    through the auth callout), without it with the services' credentials (CRM_NATS_*), or, with
    none, as development's read-only anonymous user."""
    import asyncio
    import json

    import jwt as pyjwt
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    from crm_shared.bus.connection import connect_options, split_url
    from crm_shared.nats_auth.permissions import ANONYMOUS_ID, branch_subjects, inbox_prefix

    settings = Settings()

    def show(data: bytes) -> None:
        try:
            typer.echo(json.dumps(json.loads(data), ensure_ascii=False))
        except ValueError:
            typer.echo(data.decode(errors="replace"))

    async def as_integrator() -> None:
        if token:
            claims = pyjwt.decode(token, options={"verify_signature": False})  # the server's callout verifies it
            sub, branches = str(claims.get("sub", "")), claims.get("branches") or []
        else:  # no credentials at all: development's read-only anonymous user
            sub, branches = ANONYMOUS_ID, ["*"]
        own = branch_subjects(settings, branches if isinstance(branches, list) else [])
        nc = await nats.connect(split_url(settings.nats_url)[0], token=token or None, inbox_prefix=inbox_prefix(sub),
                                max_reconnect_attempts=3)
        if not from_start:  # live: a plain subscription per branch (or the subject asked for)
            async def shown(msg) -> None:
                show(msg.data)

            for s in [subject] if subject else own:
                await nc.subscribe(s, cb=shown)
            await asyncio.Event().wait()
        if not subject and len(own) != 1:
            raise typer.BadParameter("name the branch to replay: crm events 'crm.<branch>.>' --from-start")
        js, name = nc.jetstream(), f"{sub}-live"  # one of the consumer names the integrator owns
        try:
            await js.delete_consumer(settings.stream_name, name)
        except nats.js.errors.NotFoundError:
            pass
        await js.add_consumer(settings.stream_name, ConsumerConfig(
            name=name, filter_subject=subject or own[0], deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.NONE, inactive_threshold=60.0, mem_storage=True))
        psub = await js.pull_subscribe_bind(consumer=name, stream=settings.stream_name)
        try:
            while True:
                try:
                    for msg in await psub.fetch(100, timeout=5):
                        show(msg.data)
                except TimeoutError:
                    continue
        finally:
            await js.delete_consumer(settings.stream_name, name)

    async def as_services() -> None:
        nc = await nats.connect(**connect_options(settings))
        js = nc.jetstream()
        policy = DeliverPolicy.ALL if from_start else DeliverPolicy.NEW
        sub = await js.subscribe(subject or f"{settings.subject_prefix}.>", ordered_consumer=True, deliver_policy=policy)
        async for msg in sub.messages:
            show(msg.data)

    try:
        services = set(connect_options(settings)) != {"servers"}  # the services' credentials are configured
        asyncio.run(as_integrator() if token or not services else as_services())
    except KeyboardInterrupt:
        pass
    except nats.errors.Error as exc:
        typer.secho(f"crm: NATS refused: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None


@cli.command()
def asyncapi(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the document to this file instead of "
                                             "standard output")] = None,
) -> None:
    """Print the AsyncAPI 3.0 document of every public event type (JSON), for integrators: servers from
    CRM_NATS_URL and CRM_PUBLIC_NATS_URL. docs/asyncapi.json is this, run with the default settings."""
    import json

    from crm_shared.asyncapi import document

    text = json.dumps(document(_root_settings()), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


@cli.command("nats-auth")
def nats_auth(
    ready_file: Annotated[Path | None, typer.Option(help="Written with the issuer's public key once the callout "
                                                    "listens (the local stack waits for it)")] = None,
) -> None:
    """Run only the NATS auth callout (CRM_NATS_AUTH_ISSUER_SEED, the services' CRM_NATS_* credentials,
    and the same CRM_JWT_* settings as the API): integrators' tokens become NATS users. Like `crm serve`:
    settings checked before any connection (exit 2), NATS waited for with one line per attempt, SIGTERM or
    SIGINT at any stage drains and exits 0."""
    import asyncio
    import logging

    from crm_shared.nats_auth.callout import serve as serve_callout

    for sig in (signal.SIGINT, signal.SIGTERM):  # until the callout's loop takes them over
        signal.signal(sig, _stopped)
    settings = _root_settings()
    callout = _callout(settings)
    configure_logging(settings.log_level, settings.log_json)
    try:
        asyncio.run(serve_callout(callout, str(ready_file) if ready_file else None))
    except Exception:  # an error once NATS is reached: a failed start, as `crm serve` reports it
        logging.getLogger("crm.nats_auth").critical("auth callout failed; stopping", exc_info=True)
        raise typer.Exit(3) from None


def main() -> None:
    cli()
