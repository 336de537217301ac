"""Scan sounds without QtMultimedia (not in PySide6-Essentials, SPEC §8).

Three short tones are written once as WAV files and played by the system's player
(``paplay`` for PulseAudio/PipeWire, else ``aplay`` for ALSA) in a child process that is
never waited for, so the UI thread does not block. No player or no sound card: silent.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import struct
import subprocess
import wave
from pathlib import Path

from client.controller import VerdictLevel

log = logging.getLogger(__name__)

RATE = 22_050
# Verdict level -> (frequency Hz, duration s, repeats): high and short is good news,
# low and long is "look at the screen".
TONES = {
    VerdictLevel.OK: (1760.0, 0.08, 1),
    VerdictLevel.WARNING: (880.0, 0.09, 2),
    VerdictLevel.UNKNOWN: (330.0, 0.35, 1),
    VerdictLevel.INVALID: (330.0, 0.35, 1),
}


def tone(frequency: float, seconds: float, repeats: int = 1) -> bytes:
    """16-bit mono PCM of a sine with soft edges (no click), repeats with short gaps."""
    n = int(RATE * seconds)
    fade = max(1, int(RATE * 0.005))
    samples = []
    for i in range(n):
        envelope = min(1.0, i / fade, (n - i) / fade)
        samples.append(int(12_000 * envelope * math.sin(2 * math.pi * frequency * i / RATE)))
    beep = struct.pack(f"<{n}h", *samples)
    gap = b"\x00\x00" * int(RATE * 0.06)
    return (beep + gap) * (repeats - 1) + beep


def write_wav(path: Path, pcm: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return path


def find_player() -> list[str] | None:
    """The command to play a WAV file, or None when this machine cannot make a sound."""
    pulse = os.environ.get("PULSE_SERVER") or os.environ.get("XDG_RUNTIME_DIR")
    if shutil.which("paplay") and pulse:
        return ["paplay"]
    if shutil.which("aplay") and Path("/dev/snd").exists():
        return ["aplay", "-q"]
    return None


class SoundFeedback:
    def __init__(self, directory: Path, *, enabled: bool = True, player: list[str] | None = None):
        self.player = (player or find_player()) if enabled else None
        self.files: dict[str, Path] = {}
        self.played: list[str] = []  # levels played, for tests and diagnostics
        self._children: list[subprocess.Popen] = []
        if self.player is None:
            return
        for level, (frequency, seconds, repeats) in TONES.items():
            path = directory / f"{level}.wav"
            if not path.exists():
                write_wav(path, tone(frequency, seconds, repeats))
            self.files[level] = path

    @property
    def available(self) -> bool:
        return self.player is not None

    def play(self, level: str) -> None:
        path = self.files.get(level)
        if self.player is None or path is None:
            return
        self._children = [c for c in self._children if c.poll() is None]  # reap finished ones
        try:
            child = subprocess.Popen(  # noqa: S603 (fixed argv, our own file)
                [*self.player, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._children.append(child)
            self.played.append(level)
        except OSError as exc:  # the player vanished: go quiet rather than fail a scan
            log.warning("sound off: %s", exc)
            self.player = None
