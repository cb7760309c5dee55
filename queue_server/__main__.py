"""Command line: `python -m queue_server serve | user add | device add`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from queue_server import config as config_mod
from queue_server.errors import SothutuError
from queue_server.network import is_loopback
from queue_server.people import DEVICE_KINDS, ROLES
from queue_server.services.auth import AuthService, clean_full_name
from queue_server.store.accounts import Accounts
from queue_server.store.connection import RedisHandle
from queue_server.web.i18n import error_text

T = TypeVar("T")


def _with_redis(cfg: config_mod.Config, work: Callable[[AuthService], Awaitable[T]]) -> T:
    async def run() -> T:
        handle = RedisHandle(cfg.redis, cfg.server.data_dir)
        client = await handle.start(attach=True)
        try:
            return await work(AuthService(Accounts(client)))
        finally:
            await handle.stop()

    return asyncio.run(run())


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SothutuError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _urls(cfg: config_mod.Config, base: str) -> str:
    lines = [f"sothutu on {base}  (API: {base}/api/v1/openapi.json)"]
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
    cfg: config_mod.Config, host: str | None, port: int | None, access_log: bool = True
) -> None:
    import uvicorn

    from queue_server.web.app import create_app
    from queue_server.web.server import raise_open_files_limit, uvicorn_config

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
    app = create_app(cfg)
    config = uvicorn_config(
        app, server.host, server.port, access_log=access_log, limits=server.head_limits
    )
    uvicorn.Server(config).run()


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
    p_serve.add_argument("--config", type=Path, dest="config_sub")
    p_user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True
    )
    p_add = p_user.add_parser("add", help="add or update a user; the password is read from stdin")
    p_add.add_argument("name")
    p_add.add_argument("--role", choices=ROLES, required=True)
    p_add.add_argument(
        "--name", dest="full_name", help='full name for slips and pages, e.g. "Nguyễn Thị Lan"'
    )
    p_add.add_argument("--config", type=Path, dest="config_sub")
    p_dev = sub.add_parser("device", help="manage devices").add_subparsers(
        dest="action", required=True
    )
    p_dadd = p_dev.add_parser("add", help="register a device and print its token")
    p_dadd.add_argument("name")
    p_dadd.add_argument("--kind", choices=DEVICE_KINDS, required=True)
    p_dadd.add_argument("--office", help="limit the device to one office")
    p_dadd.add_argument("--config", type=Path, dest="config_sub")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    path: Path = getattr(args, "config_sub", None) or args.config
    try:
        cfg = config_mod.load(path)
        if args.command == "serve":
            host = "0.0.0.0" if args.lan else args.host
            serve(cfg, host, args.port, access_log=not args.no_access_log)
        elif args.command == "user":
            password = _read_password()
            _with_redis(
                cfg, lambda auth: auth.add_user(args.name, args.role, password, args.full_name)
            )
            named = f", {clean_full_name(args.full_name)}" if args.full_name else ""
            print(f"user {args.name} ({args.role}{named}) saved")
        elif args.command == "device":
            if args.office and cfg.office(args.office) is None:
                raise SothutuError(f"no office {args.office!r} in {path}")
            token = _with_redis(
                cfg, lambda auth: auth.add_device(args.name, args.kind, args.office)
            )
            print(token)
    except SothutuError as exc:
        print(f"error: {error_text(exc, 'en')}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
