"""The systemd units of deploy/systemd, as scripts/install-service writes them: their keys, their
commands (run), and `systemd-analyze verify` (from Debian's systemd package, which
`SOTHUTU_BROWSER=1 scripts/install`, as scripts/test runs it, installs)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = ("sothutu.service", "sothutu-print-agent.service")


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Section -> key -> its values in order (a key may be given more than once)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, eq, value = line.partition("=")
        assert eq and current is not None, f"{path.name}:{number}: not KEY=value: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The units as the installer writes them for this checkout (its .venv) and a data folder
    and /etc folder of a temporary directory."""
    base = tmp_path_factory.mktemp("service")
    paths = {"prefix": ROOT, "data": base / "data", "etc": base / "etc", "units": base / "units"}
    subprocess.run(
        [ROOT / "scripts" / "install-service", "--prefix", str(ROOT), "--data-dir",
         str(paths["data"]), "--etc", str(paths["etc"]), "--units-only", str(paths["units"])],
        check=True, timeout=10,
    )  # fmt: skip
    return paths


def test_the_units_have_the_service_keys(layout: dict[str, Path]) -> None:
    data, etc = layout["data"], layout["etc"]
    in_home = str(ROOT).startswith(("/home/", "/root/", "/run/user/"))
    protect_home = "read-only" if in_home else "yes"
    for name in UNITS:
        unit = parse_unit(layout["units"] / name)
        service = {key: values[-1] for key, values in unit["Service"].items()}
        assert service["User"] == service["Group"] == "sothutu", name
        assert service["WorkingDirectory"] == str(data), name
        assert service["EnvironmentFile"] == f"-{etc}/env", name
        assert service["Restart"] == "on-failure", name
        assert service["KillSignal"] == "SIGTERM", name
        assert re.fullmatch(r"\d+s", service["TimeoutStopSec"]), name
        assert service["LimitNOFILE"] == "65536", name
        assert service["NoNewPrivileges"] == "yes", name
        assert service["ProtectSystem"] == "strict", name
        assert service["ReadWritePaths"] == str(data), name
        assert service["PrivateTmp"] == "yes", name
        # An app under /home or /root stays readable to the service.
        assert service["ProtectHome"] == protect_home, name
        assert unit["Install"]["WantedBy"] == ["multi-user.target"], name
        # Nothing of the default layout is left.
        text = (layout["units"] / name).read_text("utf-8")
        assert "/opt/sothutu" not in text and "/var/lib/sothutu" not in text, name
        assert "/etc/sothutu" not in text, name
    server = parse_unit(layout["units"] / "sothutu.service")["Service"]
    # The server stops its embedded Redis itself, after the requests in hand.
    assert server["KillMode"] == ["mixed"]
    assert server["PrivateDevices"] == ["yes"]
    agent = parse_unit(layout["units"] / "sothutu-print-agent.service")["Service"]
    assert agent["RestartPreventExitStatus"] == ["2"]  # refused by the server: no restart
    assert "PrivateDevices" not in agent  # it drives the printer's device


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_runs_this_checkouts_python(layout: dict[str, Path], name: str) -> None:
    """ExecStart's program is this checkout's venv python, and its module starts (--help)."""
    (exec_start,) = parse_unit(layout["units"] / name)["Service"]["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0] == str(ROOT / ".venv" / "bin" / "python")
    assert os.access(argv[0], os.X_OK), argv[0]
    module = argv[1:3]
    assert module == (
        ["-m", "queue_server"] if name == "sothutu.service" else ["-m", "printer.agent"]
    )
    help_argv = (
        [*argv[:3], "serve", "--help"] if name == "sothutu.service" else [*argv[:3], "--help"]
    )
    done = subprocess.run(help_argv, capture_output=True, text=True, timeout=10, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    # Every option the unit passes is one the command knows.
    for option in (word for word in argv[3:] if word.startswith("--")):
        assert option in done.stdout, (name, option)


def test_the_installer_sets_data_dir_in_the_config() -> None:
    """scripts/install-service writes /etc/sothutu/config.toml from config.toml by replacing
    its one `data_dir = ...` line."""
    lines = (ROOT / "config.toml").read_text("utf-8").splitlines()
    assert [line for line in lines if re.match(r"^data_dir = ", line)] == ['data_dir = "data"']


def test_the_installer_refuses_relative_paths(tmp_path: Path) -> None:
    done = subprocess.run(
        [ROOT / "scripts" / "install-service", "--data-dir", "data", "--units-only", str(tmp_path)],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    assert done.returncode == 2
    assert "must be absolute" in done.stderr
    assert not list(tmp_path.iterdir())


def test_systemd_analyze_verify(layout: dict[str, Path]) -> None:
    """Unknown keys and values that do not parse are only warnings to systemd (the unit still
    loads without them), so any output at all fails the test."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        reason = (
            "systemd-analyze not installed (Debian's systemd; SOTHUTU_BROWSER=1 scripts/install)"
        )
        print(reason, file=sys.stderr)
        pytest.skip(reason)
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(layout["units"] / name) for name in UNITS)],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
