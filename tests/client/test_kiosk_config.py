"""Kiosk configuration: defaults, TOML, strictness, CLI overrides, the station token."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from client.app import config_from_args, main, parse_args
from client.config import ConfigError, KioskConfig, default_config_path, load_config


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    return tmp_path


def test_defaults_follow_xdg(xdg):
    config = load_config()  # no config file yet: that is fine for the default path
    assert config.server_url == "http://127.0.0.1:8765"
    assert config.data_dir == xdg / "data-home" / "rentguy-kiosk"
    assert config.station_token_file == config.data_dir / "station-token"
    assert config.store_path == config.data_dir / "kiosk.sqlite3"
    assert (config.fullscreen, config.wedge_gap_ms, config.wedge_min_length) == (False, 20, 3)
    assert (config.wedge_prefix, config.wedge_suffix, config.language) == ("", "", "nl")
    assert (config.sync_interval_s, config.batch_size) == (2.0, 500)
    assert default_config_path() == xdg / "config-home" / "rentguy-kiosk" / "config.toml"


def test_relative_or_empty_xdg_values_are_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    assert KioskConfig().data_dir == tmp_path / ".local/share/rentguy-kiosk"


def test_the_default_file_is_read(xdg):
    path = default_config_path()
    path.parent.mkdir(parents=True)
    path.write_text(
        'server_url = "https://rentguy.example/"\nwedge_gap_ms = 35\n'
        'wedge_prefix = "$"\nsync_interval_s = 5\n'
    )
    config = load_config()
    assert config.server_url == "https://rentguy.example"  # trailing slash dropped
    assert (config.wedge_gap_ms, config.wedge_prefix, config.sync_interval_s) == (35, "$", 5)


def test_data_dir_moves_the_token_file_with_it(xdg, tmp_path):
    config = load_config(overrides={"data_dir": str(tmp_path / "kiosk")})
    assert config.station_token_file == tmp_path / "kiosk" / "station-token"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("wedge_gap = 20\n", r"unknown key\(s\) in .*: wedge_gap \(known: "),
        ('wedge_gap_ms = "20"\n', "wedge_gap_ms .* must be int"),
        ("wedge_gap_ms = true\n", "wedge_gap_ms .* must be int"),
        ("fullscreen = 1\n", "fullscreen .* must be bool"),
        ('server_url = "ftp://x"\n', "server_url must be an http"),
        ("batch_size = 5000\n", "batch_size must be at most 1000"),
        ("wedge_min_length = 0\n", "wedge_min_length must be at least 1"),
        ("this is not toml\n", "config.toml"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_an_explicit_path_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_cli_overrides_the_file(xdg, tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('server_url = "http://file:1"\nfullscreen = true\nlanguage = "en"\n')
    args = parse_args(
        [
            "--config",
            str(path),
            "--server-url",
            "http://cli:2",
            "--windowed",
            "--data-dir",
            str(tmp_path / "d"),
            "--station-token-file",
            str(tmp_path / "tok"),
        ]
    )
    config = config_from_args(args)
    assert (config.server_url, config.fullscreen, config.language) == ("http://cli:2", False, "en")
    assert config.data_dir == tmp_path / "d" and config.station_token_file == tmp_path / "tok"
    assert config_from_args(parse_args(["--config", str(path)])).fullscreen is True


def test_fullscreen_and_windowed_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--fullscreen", "--windowed"])


def test_main_reports_config_errors_without_starting(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "missing.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_the_token_is_read_on_demand(tmp_path):
    config = KioskConfig(data_dir=tmp_path)
    assert config.read_station_token() is None
    config.station_token_file.write_text("  first \n")
    assert config.read_station_token() == "first"
    config.station_token_file.write_text("second\n")
    assert config.read_station_token() == "second"


def test_a_written_token_is_private(tmp_path):
    config = KioskConfig(data_dir=tmp_path / "new")
    config.write_station_token("secret-1")
    assert config.read_station_token() == "secret-1"
    config.station_token_file.chmod(0o644)
    config.write_station_token("secret-2")
    mode = stat.S_IMODE(config.station_token_file.stat().st_mode)
    assert mode == 0o600 and config.read_station_token() == "secret-2"
