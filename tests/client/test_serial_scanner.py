"""The serial scanner against a real pseudo-terminal: the test is the scanner's cable."""

from __future__ import annotations

import os
import tty
from pathlib import Path

import pytest

from client.scanners.serial_port import (
    ABSENT,
    CONNECTED,
    DISCONNECTED,
    FrameSplitter,
    SerialScanner,
    parse_terminator,
)

pytestmark = pytest.mark.gui


class FakeCable:
    """A pty whose slave is reached through a stable symlink (like /dev/serial/by-id/...).

    ``unplug()`` closes the master (the kiosk's reads fail as on a pulled USB cable);
    ``plug()`` makes a new pty and points the symlink at it.
    """

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master: int | None = None
        self.slave: int | None = None

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tmp = self.link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(self.slave))
        tmp.replace(self.link)

    def unplug(self) -> None:
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None
        self.link.unlink(missing_ok=True)

    def send(self, data: bytes) -> None:
        assert self.master is not None
        os.write(self.master, data)


@pytest.fixture
def cable(tmp_path):
    cable = FakeCable(tmp_path / "ttyRG0")
    yield cable
    cable.unplug()


@pytest.fixture
def scanner(cable, qtbot):
    scanner = SerialScanner(str(cable.link), 115200, b"\r", reconnect_s=0.05)
    yield scanner
    scanner.stop()


def collect(scanner) -> list[str]:
    codes: list[str] = []
    scanner.scanned.connect(lambda read: codes.append(read.code))
    return codes


def wait_state(qtbot, scanner, state: str) -> None:
    qtbot.waitUntil(lambda: scanner.state == state, timeout=5000)


def test_frames_split_on_the_terminator_across_reads():
    splitter = FrameSplitter(b"\r")
    assert splitter.feed(b"RG-U-00") == []
    assert splitter.feed(b"01\r\nRG-U-0002\rRG") == ["RG-U-0001", "RG-U-0002"]
    assert splitter.drop_partial() == b"RG"
    assert FrameSplitter(b"\r\n").feed(b"A1\r\nB2\r\n") == ["A1", "B2"]


def test_terminators_from_config():
    assert parse_terminator("CR") == b"\r"
    assert parse_terminator("\\r\\n") == b"\r\n"
    assert parse_terminator("crlf") == b"\r\n"
    with pytest.raises(ValueError):
        parse_terminator("")


def test_reads_codes_from_the_port(cable, scanner, qtbot):
    cable.plug()
    codes = collect(scanner)
    scanner.start()
    wait_state(qtbot, scanner, CONNECTED)  # pyserial flushes on open: send after it
    cable.send(b"RG-U-0001\rRG-U-")
    cable.send(b"0002\r")
    qtbot.waitUntil(lambda: len(codes) == 2, timeout=5000)
    assert codes == ["RG-U-0001", "RG-U-0002"]


def test_absent_port_is_reported_then_picked_up_when_plugged(cable, scanner, qtbot):
    states: list[tuple[str, str]] = []
    scanner.status_changed.connect(lambda state, message: states.append((state, message)))
    codes = collect(scanner)
    scanner.start()
    qtbot.waitUntil(lambda: bool(states) and states[-1][0] == ABSENT, timeout=5000)
    assert "not connected" in states[-1][1] and str(cable.link) in states[-1][1]
    cable.plug()
    wait_state(qtbot, scanner, CONNECTED)
    cable.send(b"RG-U-0003\r")
    qtbot.waitUntil(lambda: codes == ["RG-U-0003"], timeout=5000)


def test_unplug_and_replug_keeps_every_complete_frame(cable, scanner, qtbot):
    cable.plug()
    codes = collect(scanner)
    scanner.start()
    wait_state(qtbot, scanner, CONNECTED)
    # Complete frames and half of one, then the cable is pulled.
    cable.send(b"RG-U-0001\rRG-U-0002\rRG-U-00")
    qtbot.waitUntil(lambda: len(codes) == 2, timeout=5000)
    cable.unplug()
    qtbot.waitUntil(lambda: scanner.state in (DISCONNECTED, ABSENT), timeout=5000)
    cable.plug()
    wait_state(qtbot, scanner, CONNECTED)
    cable.send(b"RG-U-0004\r")
    qtbot.waitUntil(lambda: len(codes) == 3, timeout=5000)
    # The half frame is dropped, not glued to the next code.
    assert codes == ["RG-U-0001", "RG-U-0002", "RG-U-0004"]


def test_a_burst_arrives_complete_and_in_order(cable, scanner, qtbot):
    cable.plug()
    codes = collect(scanner)
    scanner.start()
    wait_state(qtbot, scanner, CONNECTED)
    sent = [f"RG-U-{n:04d}" for n in range(500)]
    cable.send(b"".join(code.encode() + b"\r" for code in sent))
    qtbot.waitUntil(lambda: len(codes) == len(sent), timeout=10_000)
    assert codes == sent
