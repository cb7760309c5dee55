"""Command line: `python -m queue_server serve | user add | user grant | device add |
office ...`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from queue_server import config as config_mod
from queue_server.errors import SothutuError
from queue_server.network import is_loopback
from queue_server.people import ADMIN, DEVICE_KINDS, ROLES
from queue_server.services.auth import AuthService, clean_full_name
from queue_server.services.migrations import check_for_tools
from queue_server.services.offices import OfficeRegistry, parse_table
from queue_server.store.accounts import Accounts
from queue_server.store.connection import RedisHandle
from queue_server.store.offices import OfficeList, OfficeSettings
from queue_server.store.schema import SchemaStore
from queue_server.web.i18n import error_text

T = TypeVar("T")


def _with_redis(cfg: config_mod.Config, work: Callable[[AuthService], Awaitable[T]]) -> T:
    async def run() -> T:
        handle = RedisHandle(cfg.redis, cfg.server.data_dir)
        client = await handle.start(attach=True)
        try:
            await check_for_tools(SchemaStore(client), [o.slug for o in cfg.offices])
            return await work(AuthService(Accounts(client)))
        finally:
            await handle.stop()

    return asyncio.run(run())


def _with_offices(cfg: config_mod.Config, work: Callable[[OfficeRegistry], Awaitable[T]]) -> T:
    """`work` on the deployment's offices, in the Redis of `cfg` (a running server's, or one
    started for the command); every running server follows the change."""

    async def run() -> T:
        handle = RedisHandle(cfg.redis, cfg.server.data_dir)
        client = await handle.start(attach=True)
        try:
            await check_for_tools(SchemaStore(client), [o.slug for o in cfg.offices])
            registry = OfficeRegistry(cfg, OfficeSettings(client), OfficeList(client))
            await registry.load()
            return await work(registry)
        finally:
            await handle.stop()

    return asyncio.run(run())


def _office_command(cfg: config_mod.Config, args: argparse.Namespace) -> str:
    """What `office list | add | rename | close | reopen` prints."""
    by = "command line"
    if args.action == "list":

        async def listing(reg: OfficeRegistry) -> str:
            rows = []
            for o in reg.known():
                entry = reg.entry(o.slug)
                rows.append(f"{o.slug}\t{entry.state if entry else 'active'}\t{o.name}")
            return "\n".join(rows)

        return _with_offices(cfg, listing)
    if args.action == "add":
        imported: dict[str, Any] | None = None
        if args.from_file:
            path = Path(args.from_file)
            try:
                text = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise SothutuError(f"cannot read {path}: {exc}") from exc
            imported = parse_table(text, "json" if path.suffix.lower() == ".json" else "toml")
            imported["slug"] = args.slug
            for key in ("name", "address"):
                if getattr(args, key) is not None:
                    imported[key] = getattr(args, key)

        async def add(reg: OfficeRegistry) -> str:
            if imported is None:
                table = reg.copy_table(args.copy_from, args.slug, args.name, args.address)
            else:
                table = imported
            office = await reg.create(table, by)
            return f"office {office.slug} ({office.name}) added: every running server serves it"

        return _with_offices(cfg, add)
    if args.action == "rename":

        async def rename(reg: OfficeRegistry) -> str:
            office = await reg.rename(args.slug, args.name, args.address, by)
            return f"office {office.slug} is now {office.name}"

        return _with_offices(cfg, rename)

    async def change(reg: OfficeRegistry) -> str:
        if args.action == "close":
            await reg.close(args.slug, by)
            return f"office {args.slug} closed: it issues no tickets; its reports stay"
        await reg.reopen(args.slug, by)
        return f"office {args.slug} reopened"

    return _with_offices(cfg, change)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SothutuError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _offices(cfg: config_mod.Config, given: list[str], needed: bool) -> list[str]:
    """The offices named on the command line, each checked; the only office of the
    deployment when none is named and one is needed."""
    known = _with_offices(cfg, _open_offices)
    for slug in given:
        if slug not in known:
            raise SothutuError(f"no open office {slug!r}; offices: {', '.join(known)}")
    if given or not needed:
        return list(dict.fromkeys(given))
    if len(known) == 1:
        return known
    raise SothutuError(f"name the office with --office; offices: {', '.join(known)}")


async def _open_offices(registry: OfficeRegistry) -> list[str]:
    """The offices as the deployment has them now (added ones too, closed ones not)."""
    return [o.slug for o in registry.all()]


def _grants_text(role: str, offices: list[str]) -> str:
    return "admin of every office" if role == ADMIN else f"{role} of {', '.join(offices)}"


def _urls(cfg: config_mod.Config, base: str) -> str:
    lines = [
        f"sothutu on {base}  (API: {base}/api/v1/openapi.json)",
        f"  province (admin): {base}/province",
    ]
    for o in cfg.offices:
        lines += [
            f"  {o.name}",
            f"    kiosk:    {base}/kiosk/{o.slug}",
            f"    counter:  {base}/counter/{o.slug}/{o.counters[0].number}",
            f"    board:    {base}/board/{o.slug}",
            f"    manager:  {base}/manage/{o.slug}",
            f"    booking:  {base}/book/{o.slug}",
        ]
    return "\n".join(lines)


def serve(
    cfg: config_mod.Config,
    host: str | None,
    port: int | None,
    access_log: bool = True,
    log_format: str | None = None,
) -> None:
    from queue_server.web.app import create_app
    from queue_server.web.http.request_log import configure_root
    from queue_server.web.server import Server, raise_open_files_limit, uvicorn_config

    # From here on the config says where the server listens: links made outside a request
    # (print jobs) are built from it.
    server = dataclasses.replace(
        cfg.server, host=host or cfg.server.host, port=port or cfg.server.port
    )
    cfg = dataclasses.replace(cfg, server=server)
    print(_urls(cfg, server.base_url()), flush=True)
    if is_loopback(server.host):
        print("  (this machine only: `serve --lan` serves the office network)", flush=True)
    raise_open_files_limit()
    log_format = log_format or server.log_format
    configure_root(log_format)
    app = create_app(cfg)
    config = uvicorn_config(
        app,
        server.host,
        server.port,
        access_log=access_log,
        limits=server.head_limits,
        log_format=log_format,
    )
    try:
        Server(config).run()
    except SystemExit:  # uvicorn's answer to a start that failed
        refusal = getattr(app.state, "refusal", None)
        if refusal is not None:  # said last, after the traceback uvicorn logged
            raise refusal from None
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m queue_server", description="sothutu")
    parser.add_argument("--config", type=Path, default=Path("config.toml"))
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="start the server")
    where = p_serve.add_mutually_exclusive_group()
    where.add_argument("--host", help="address to listen on; 0.0.0.0: every interface")
    where.add_argument(
        "--lan",
        action="store_true",
        help="listen on every interface (= --host 0.0.0.0) and print this machine's LAN address",
    )
    p_serve.add_argument("--port", type=int)
    p_serve.add_argument(
        "--no-access-log", action="store_true", help="do not log every request (busy sites)"
    )
    p_serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="text or json: one JSON object a line, with the request's id, office, route, "
        "status and duration (default: [server] log_format, else text)",
    )
    p_serve.add_argument("--config", type=Path, dest="config_sub")
    p_user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True
    )
    p_add = p_user.add_parser(
        "add",
        help="add or update a user with a role in each --office (an admin: every office); "
        "the password is read from stdin",
    )
    p_add.add_argument("name")
    p_add.add_argument("--role", choices=ROLES, required=True)
    p_add.add_argument(
        "--office",
        action="append",
        dest="offices",
        default=[],
        metavar="SLUG",
        help="an office the user works in (repeatable); needed for staff and manager unless "
        "the deployment has one office",
    )
    p_add.add_argument(
        "--name", dest="full_name", help='full name for slips and pages, e.g. "Nguyễn Thị Lan"'
    )
    p_add.add_argument("--config", type=Path, dest="config_sub")
    p_grant = p_user.add_parser(
        "grant", help="give an existing user a role in more offices (or make them an admin)"
    )
    p_grant.add_argument("name")
    p_grant.add_argument("--role", choices=ROLES, required=True)
    p_grant.add_argument("--office", action="append", dest="offices", default=[], metavar="SLUG")
    p_grant.add_argument("--config", type=Path, dest="config_sub")
    p_dev = sub.add_parser("device", help="manage devices").add_subparsers(
        dest="action", required=True
    )
    p_dadd = p_dev.add_parser("add", help="register a device and print its token")
    p_dadd.add_argument("name")
    p_dadd.add_argument("--kind", choices=DEVICE_KINDS, required=True)
    p_dadd.add_argument(
        "--office", help="the device's office (needed unless the deployment has one office)"
    )
    p_dadd.add_argument("--config", type=Path, dest="config_sub")
    p_office = sub.add_parser(
        "office", help="the province's offices: list, add, rename, close, reopen"
    ).add_subparsers(dest="action", required=True)
    p_office.add_parser("list", help="every office with its state").add_argument(
        "--config", type=Path, dest="config_sub"
    )
    p_oadd = p_office.add_parser(
        "add", help="add an office: a copy of another's settings, or a TOML/JSON table"
    )
    p_oadd.add_argument("slug", help="its code in every address, e.g. phuong-kim-ma; fixed")
    p_oadd.add_argument("--name", help="its name (required with --copy-from)")
    p_oadd.add_argument("--address")
    source = p_oadd.add_mutually_exclusive_group(required=True)
    source.add_argument("--copy-from", metavar="SLUG", help="copy this office's settings")
    source.add_argument(
        "--from-file", metavar="PATH", help="an office's table, .toml or .json (an export)"
    )
    p_oadd.add_argument("--config", type=Path, dest="config_sub")
    p_oren = p_office.add_parser("rename", help="change an office's name (and address)")
    p_oren.add_argument("slug")
    p_oren.add_argument("--name", required=True)
    p_oren.add_argument("--address")
    p_oren.add_argument("--config", type=Path, dest="config_sub")
    for action, text in (("close", "close an office (its reports stay)"),
                         ("reopen", "reopen a closed office")):  # fmt: skip
        p_ochange = p_office.add_parser(action, help=text)
        p_ochange.add_argument("slug")
        p_ochange.add_argument("--config", type=Path, dest="config_sub")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    path: Path = getattr(args, "config_sub", None) or args.config
    try:
        cfg = config_mod.load(path)
        if args.command == "serve":
            host = "0.0.0.0" if args.lan else args.host
            serve(
                cfg,
                host,
                args.port,
                access_log=not args.no_access_log,
                log_format=args.log_format,
            )
        elif args.command == "user":
            offices = _offices(cfg, args.offices, args.role != ADMIN)
            if args.action == "grant":
                _with_redis(cfg, lambda auth: auth.grant(args.name, args.role, offices))
                print(f"user {args.name}: {_grants_text(args.role, offices)}")
                return 0
            password = _read_password()
            _with_redis(
                cfg,
                lambda auth: auth.add_user(
                    args.name, args.role, password, args.full_name, offices=offices
                ),
            )
            named = f", {clean_full_name(args.full_name)}" if args.full_name else ""
            print(f"user {args.name} ({_grants_text(args.role, offices)}{named}) saved")
        elif args.command == "office":
            print(_office_command(cfg, args))
        elif args.command == "device":
            (office,) = _offices(cfg, [args.office] if args.office else [], True)
            token = _with_redis(cfg, lambda auth: auth.add_device(args.name, args.kind, office))
            print(token)
    except SothutuError as exc:
        print(f"error: {error_text(exc, 'en')}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
