"""The ``rentguy-server`` CLI as an operator runs it (a real subprocess)."""

import json
import os
import subprocess
import sys

import pytest


def _cli(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


@pytest.fixture
def cli_env(tmp_path) -> dict:
    return {
        **os.environ,
        "RENTGUY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "RENTGUY_SECRET_KEY": os.environ["RENTGUY_SECRET_KEY"],
    }


def test_migrate_seed_demo_and_create_admin(cli_env, tmp_path):
    _cli("migrate", env=cli_env)
    out = tmp_path / "demo.json"
    _cli("seed-demo", "--out", str(out), env=cli_env)
    info = json.loads(out.read_text())
    for key in (
        "admin_email",
        "admin_password",
        "badge_code",
        "admin_badge_code",
        "station_token",
        "project_id",
        "unit_codes",
        "case_code",
    ):
        assert info[key], key
    assert isinstance(info["unit_codes"], list)
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    again = json.loads(_cli("seed-demo", env=cli_env).stdout)  # idempotent, fresh token
    assert again["project_id"] == info["project_id"]
    assert again["station_token"] != info["station_token"]

    created = _cli(
        "create-admin", "--email", "Boss@Example.NL", "--password", "pw-123456", env=cli_env
    )
    assert json.loads(created.stdout)["email"] == "boss@example.nl"
    duplicate = _cli(
        "create-admin", "--email", "boss@example.nl", "--password", "x", env=cli_env, check=False
    )
    assert duplicate.returncode != 0
    assert "already exists" in duplicate.stderr


def test_missing_secret_is_a_clear_error(cli_env):
    env = {k: v for k, v in cli_env.items() if k != "RENTGUY_SECRET_KEY"}
    result = _cli("seed-demo", env=env, check=False)
    assert result.returncode != 0
    assert "RENTGUY_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--workers", "0"], {}, "--workers: '0' is not a number from 1 to 64"),
        ([], {"RENTGUY_WORKERS": "0"}, "RENTGUY_WORKERS"),
        ([], {"RENTGUY_WORKERS": "many"}, "RENTGUY_WORKERS"),
    ],
)
def test_a_bad_worker_count_is_a_clear_error(cli_env, args, env, says):
    result = _cli("serve", *args, env={**cli_env, **env}, check=False)
    assert result.returncode != 0
    assert says in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_worker_that_cannot_start_makes_serve_exit_non_zero(cli_env, workers):
    """Not a restart loop of workers that can never build the app: one clear line and a
    failure exit code, which systemd's Restart=on-failure and container policies see."""
    from tests.helpers.live_server import free_port

    env = {**cli_env, "RENTGUY_DATABASE_URL": "nosuchdialect://nowhere/db"}
    result = _cli("serve", "--workers", workers, "--port", str(free_port()), env=env, check=False)
    assert result.returncode == 3, result.stderr[-2000:]  # uvicorn's STARTUP_FAILURE
    assert "cannot start the server: NoSuchModuleError" in result.stderr
    assert "Traceback" not in result.stderr
