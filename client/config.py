"""Kiosk configuration: a flat TOML file, command-line overrides, and the station token.

Precedence: built-in defaults < config file < explicit overrides (the CLI). Unknown keys
are an error, not a warning: a misspelt ``wedge_gap_ms`` silently falling back to the
default is exactly the kind of kiosk bug nobody notices until scans go missing.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APP_DIR_NAME = "rentguy-kiosk"
LANGUAGES = ("nl", "en")
STORE_FILE_NAME = "kiosk.sqlite3"


class ConfigError(ValueError):
    """The configuration file or an override is invalid."""


def _xdg_dir(variable: str, fallback: str) -> Path:
    # XDG says: ignore the variable when it is unset, empty or not absolute.
    value = os.environ.get(variable, "")
    base = Path(value) if value and os.path.isabs(value) else Path.home() / fallback
    return base / APP_DIR_NAME


def default_data_dir() -> Path:
    return _xdg_dir("XDG_DATA_HOME", ".local/share")


def default_config_path() -> Path:
    return _xdg_dir("XDG_CONFIG_HOME", ".config") / "config.toml"


@dataclass(frozen=True)
class KioskConfig:
    server_url: str = "http://127.0.0.1:8765"
    data_dir: Path = field(default_factory=default_data_dir)
    # None means "<data_dir>/station-token"; resolved in __post_init__.
    station_token_file: Path | None = None
    fullscreen: bool = False
    wedge_gap_ms: int = 20
    wedge_prefix: str = ""
    wedge_suffix: str = ""
    wedge_min_length: int = 3
    sync_interval_s: float = 2.0
    batch_size: int = 500
    language: str = "nl"
    idle_logout_s: int = 300  # 0: never
    undo_window_s: int = 120
    sound: bool = True
    serial_port: str = ""  # "" : no serial scanner
    serial_baud: int = 9600
    serial_terminator: str = "CR"
    camera_source: str = ""  # "" : no camera; a device index ("0") or a file path / URL
    camera_backend: str = "zxing-cpp"  # or "pyzbar"
    camera_hold_off_s: float = 2.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen dataclass: normalise once, here
        set_(self, "server_url", self.server_url.rstrip("/"))
        set_(self, "data_dir", Path(self.data_dir).expanduser())
        token_file = self.station_token_file
        token_file = self.data_dir / "station-token" if token_file is None else token_file
        set_(self, "station_token_file", Path(token_file).expanduser())
        self._validate()

    def _validate(self) -> None:
        # In this order: the first problem found is the one reported.
        if not self.server_url.startswith(("http://", "https://")):
            raise ConfigError(f"server_url must be an http(s) URL, not {self.server_url!r}")
        self._validate_sync()
        if self.language not in LANGUAGES:
            raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}")
        for name in ("idle_logout_s", "undo_window_s", "camera_hold_off_s"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")
        self._validate_scanners()

    def _validate_sync(self) -> None:
        """The wedge's timing and the sync's batches and interval."""
        for name in ("wedge_gap_ms", "wedge_min_length", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.batch_size > 1000:
            raise ConfigError("batch_size must be at most 1000 (the server's batch limit)")
        if self.sync_interval_s <= 0:
            raise ConfigError("sync_interval_s must be positive")

    def _validate_scanners(self) -> None:
        """The serial port and the camera."""
        if self.serial_baud < 1:
            raise ConfigError("serial_baud must be at least 1")
        if self.camera_backend not in ("zxing-cpp", "pyzbar", "auto"):
            raise ConfigError("camera_backend must be zxing-cpp, pyzbar or auto")

    @property
    def camera_capture_source(self) -> int | str | None:
        """What cv2.VideoCapture gets: a device index for digits, else the path or URL."""
        source = self.camera_source.strip()
        if not source:
            return None
        return int(source) if source.isdigit() else source

    @property
    def store_path(self) -> Path:
        return self.data_dir / STORE_FILE_NAME

    def read_station_token(self) -> str | None:
        """The station token, read on every call so a re-enrolment is picked up live."""
        assert self.station_token_file is not None
        try:
            token = self.station_token_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return token or None

    def write_station_token(self, token: str) -> None:
        """Store the token readable by this user only (0600), replacing any old one."""
        assert self.station_token_file is not None
        path = self.station_token_file
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to an existing file
            os.write(fd, token.strip().encode("utf-8") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)  # readers never see a half-written token


_FIELDS = {f.name: f for f in dataclasses.fields(KioskConfig)}
_PATH_KEYS = {"data_dir", "station_token_file"}
_TYPES: dict[str, tuple[type, ...]] = {
    "server_url": (str,),
    "data_dir": (str, Path),
    "station_token_file": (str, Path),
    "fullscreen": (bool,),
    "wedge_gap_ms": (int,),
    "wedge_prefix": (str,),
    "wedge_suffix": (str,),
    "wedge_min_length": (int,),
    "sync_interval_s": (int, float),
    "batch_size": (int,),
    "language": (str,),
    "idle_logout_s": (int,),
    "undo_window_s": (int,),
    "sound": (bool,),
    "serial_port": (str,),
    "serial_baud": (int,),
    "serial_terminator": (str,),
    "camera_source": (str,),
    "camera_backend": (str,),
    "camera_hold_off_s": (int, float),
}


def _checked(values: Mapping[str, Any], origin: str) -> dict[str, Any]:
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        known = ", ".join(sorted(_FIELDS))
        raise ConfigError(f"unknown key(s) in {origin}: {', '.join(unknown)} (known: {known})")
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        types = _TYPES[key]
        # bool is an int subclass: `wedge_gap_ms = true` must not pass as 1.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            expected = " or ".join(t.__name__ for t in types)
            raise ConfigError(f"{key} in {origin} must be {expected}, not {value!r}")
        checked[key] = Path(str(value)) if key in _PATH_KEYS else value
    return checked


def load_config(
    path: Path | str | None = None, overrides: Mapping[str, Any] | None = None
) -> KioskConfig:
    """Read ``path`` (default: the XDG config file, if it exists) and apply ``overrides``.

    An explicitly given path must exist; the default one is optional.
    """
    values: dict[str, Any] = {}
    config_path = Path(path).expanduser() if path is not None else default_config_path()
    if config_path.exists():
        try:
            with config_path.open("rb") as fh:
                values.update(_checked(tomllib.load(fh), str(config_path)))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: {exc}") from exc
    elif path is not None:
        raise ConfigError(f"config file not found: {config_path}")
    values.update(_checked(overrides or {}, "overrides"))
    return KioskConfig(**values)
