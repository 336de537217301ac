"""Scan sounds: real WAV files, played by a child process that is never waited for."""

from __future__ import annotations

import wave

from client.feedback import RATE, TONES, SoundFeedback, tone


def test_tones_are_short_wav_files(tmp_path):
    sound = SoundFeedback(tmp_path, player=["true"])
    assert sound.available and set(sound.files) == set(TONES)
    with wave.open(str(sound.files["ok"])) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        assert wav.getnframes() / RATE < 0.2  # a click, not a song
    assert len(tone(880, 0.1, 2)) > len(tone(880, 0.1, 1))


def test_play_does_not_wait_and_reaps_its_children(tmp_path):
    sound = SoundFeedback(tmp_path, player=["sleep"])  # "sleep <file>" fails at once: fine
    for level in ("ok", "warning", "unknown"):
        sound.play(level)
    assert sound.played == ["ok", "warning", "unknown"]
    sound.play("nonsense")  # unknown level: silent
    assert sound.played[-1] == "unknown"


def test_no_player_means_silence(tmp_path):
    sound = SoundFeedback(tmp_path, enabled=False)
    assert not sound.available
    sound.play("ok")
    assert sound.played == [] and not list(tmp_path.iterdir())


def test_a_vanished_player_goes_quiet(tmp_path):
    sound = SoundFeedback(tmp_path, player=["/nonexistent/player"])
    sound.play("ok")
    assert not sound.available
