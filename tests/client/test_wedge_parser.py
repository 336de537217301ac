"""The keyboard-wedge timing rule, with an injected clock: no sleeps, exact gaps."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client.scanners.wedge import LINE_PAUSE_MS, WedgeParser


class Recorder:
    def __init__(self, parser: WedgeParser) -> None:
        self.scans: list[str] = []
        self.reads = []
        self.released: list[object] = []
        self.discarded: list[object] = []
        parser.scanned.connect(lambda read: (self.reads.append(read), self.scans.append(read.code)))
        parser.released.connect(self.released.extend)
        parser.discarded.connect(self.discarded.extend)


@pytest.fixture
def parser(qapp, clock):
    return WedgeParser(gap_ms=20, min_length=3, clock=clock)


def burst(parser, clock, text: str, gap: float = 4.0, terminator: bool = True) -> bool | None:
    """Offer ``text`` key by key; returns whether the parser held the final Enter."""
    for char in text:
        parser.key(char, char)
        clock.advance(gap)
    return parser.key("", "<enter>", terminator=True) if terminator else None


def test_a_fast_burst_ending_in_enter_is_one_scan(parser, clock):
    seen = Recorder(parser)
    burst(parser, clock, "RG-U-0001")
    assert seen.scans == ["RG-U-0001"]
    read = seen.reads[0]
    assert read.source == "wedge" and read.symbology == "" and read.read_at.tzinfo
    assert seen.released == []
    assert seen.discarded == [*"RG-U-0001", "<enter>"]  # swallowed, never typed
    assert not parser.holding


def test_the_rule_is_per_gap_not_whole_burst_time(parser, clock):
    seen = Recorder(parser)
    code = "0105901234123457" * 4 + "21ABC"  # 69 keys at 8 ms: over half a second in all
    burst(parser, clock, code, gap=8.0)
    assert seen.scans == [code]


def test_slow_typing_is_released_key_by_key_in_order(parser, clock):
    seen = Recorder(parser)
    enter_held = burst(parser, clock, "abc", gap=150.0)
    assert seen.scans == []
    assert seen.released == ["a", "b", "c"]
    assert enter_held is False  # the caller delivers the Enter itself, after "c"


def test_a_gap_equal_to_the_limit_breaks_the_run(parser, clock):
    seen = Recorder(parser)
    burst(parser, clock, "ABC", gap=4.0, terminator=False)
    clock.advance(20.0 - 4.0)  # exactly gap_ms after the last key
    parser.key("D", "D")
    assert seen.released == ["A", "B", "C"]
    clock.advance(4.0)
    parser.key("", "<enter>", terminator=True)
    assert seen.scans == []  # "D" alone is below min_length
    assert seen.released == ["A", "B", "C", "D", "<enter>"]


def test_a_run_without_terminator_is_released_when_it_goes_stale(parser, clock):
    seen = Recorder(parser)
    burst(parser, clock, "12345", terminator=False)
    parser.poll()
    assert seen.released == []  # still within the gap: could continue
    clock.advance(20.0)
    parser.poll()
    assert seen.released == list("12345") and seen.scans == []


def test_too_short_bursts_are_typing(parser, clock):
    seen = Recorder(parser)
    burst(parser, clock, "ab")
    assert seen.scans == []
    assert seen.released == ["a", "b", "<enter>"]


def test_a_lone_terminator_is_not_held(parser, clock):
    seen = Recorder(parser)
    assert parser.key("", "<enter>", terminator=True) is False
    assert seen.released == [] and not parser.holding


def test_tab_works_as_terminator(parser, clock):
    seen = Recorder(parser)
    burst(parser, clock, "RG-C-0001", terminator=False)
    parser.key("", "<tab>", terminator=True)
    assert seen.scans == ["RG-C-0001"]


def test_prefix_and_suffix_are_stripped_and_required(qapp, clock):
    parser = WedgeParser(gap_ms=20, prefix="$", suffix="#", min_length=3, clock=clock)
    seen = Recorder(parser)
    burst(parser, clock, "$RG-U-0003#")
    assert seen.scans == ["RG-U-0003"]
    burst(parser, clock, "RG-U-0003#")  # no prefix: not from our scanner, so typing
    assert seen.scans == ["RG-U-0003"]
    assert seen.released[-1] == "<enter>"


def test_non_timing_events_ride_along_with_the_run(parser, clock):
    seen = Recorder(parser)
    assert parser.attach("<shift-down>") is False  # nothing held: deliver it now
    parser.key("A", "A")
    assert parser.attach("<release-A>") is True
    clock.advance(100.0)
    parser.poll()
    assert seen.released == ["A", "<release-A>"]


def test_flush_releases_at_once(parser, clock):
    seen = Recorder(parser)
    burst(parser, clock, "xyz", terminator=False)
    parser.flush()
    assert seen.released == ["x", "y", "z"] and not parser.holding


# make_clock is a stateless factory, so sharing it across examples is safe.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=3, max_size=60
    ),
    gaps=st.lists(st.floats(min_value=0.0, max_value=19.9), min_size=60, max_size=60),
)
def test_any_fast_enough_burst_is_exactly_its_code(qapp, make_clock, code, gaps):
    clock = make_clock()
    parser = WedgeParser(gap_ms=20, min_length=3, clock=clock)
    seen = Recorder(parser)
    for char, gap in zip(code, gaps, strict=False):
        parser.key(char, char)
        clock.advance(gap)
    parser.key("", "<enter>", terminator=True)
    assert seen.scans == [code] and seen.released == []


def stamped(parser, clock, text: str, *, at: int, step: int, handled_every: float) -> bool:
    """Offer ``text`` + Enter with key stamps ``step`` ms apart, handled ``handled_every``
    ms apart by the clock (a stalled thread handles keys late, or bunched). Returns
    whether the parser held the Enter."""
    for char in text:
        parser.key(char, char, at=at)
        at += step
        clock.advance(handled_every)
    return parser.key("", "<enter>", terminator=True, at=at)


def test_a_burst_handled_late_is_judged_by_its_stamps(parser, clock):
    # Pressed 3 ms apart; the UI thread got to each key 100 ms after the last.
    seen = Recorder(parser)
    stamped(parser, clock, "RG-U-0001", at=5_000, step=3, handled_every=100.0)
    assert seen.scans == ["RG-U-0001"] and seen.released == []


def test_typing_handled_in_a_bunch_is_still_typing(parser, clock):
    # Pressed 150 ms apart, all handled at once when a stalled thread woke up.
    seen = Recorder(parser)
    enter_held = stamped(parser, clock, "abc", at=5_000, step=150, handled_every=0.0)
    assert seen.scans == []
    assert seen.released == ["a", "b", "c"] and enter_held is False


def test_an_unstamped_key_is_measured_by_the_clock(parser, clock):
    seen = Recorder(parser)
    parser.key("A", "A", at=5_000)
    clock.advance(50.0)
    parser.key("B", "B")  # no stamp: the clock's 50 ms decide
    assert seen.released == ["A"]


def test_a_stamp_behind_the_last_one_is_measured_by_the_clock(parser, clock):
    # X server time is 32 bits of milliseconds: it wraps every 49.7 days.
    seen = Recorder(parser)
    parser.key("A", "A", at=2**32 - 2)
    clock.advance(50.0)
    parser.key("B", "B", at=1)
    assert seen.released == ["A"]


def test_the_timer_releases_a_run_that_went_stale(qtbot, parser, clock):
    seen = Recorder(parser)
    burst(parser, clock, "xyz", terminator=False)
    clock.advance(20.0)
    qtbot.waitUntil(lambda: seen.released == ["x", "y", "z"], timeout=2000)


def unclaimed(parser, text: str, *, at: int, step: int) -> None:
    """What the filter reports for released keys that no widget took."""
    for char in text:
        parser.unclaimed(char, at)
        at += step


def test_an_unclaimed_line_ended_by_enter_is_a_scan(parser, clock):
    seen = Recorder(parser)
    unclaimed(parser, "RG-U-0001", at=5_000, step=60)
    assert parser.end_line() is True
    assert seen.scans == ["RG-U-0001"] and seen.reads[0].source == "wedge"
    assert parser.end_line() is False  # the line is gone with its read


def test_the_line_follows_the_scan_rules(qapp, clock):
    parser = WedgeParser(gap_ms=20, prefix="$", min_length=3, clock=clock)
    seen = Recorder(parser)
    for line, read in (("$RG-U-0001", True), ("RG-U-0001", False), ("$ab", False)):
        unclaimed(parser, line, at=5_000, step=60)
        assert parser.end_line() is read, line
    assert seen.scans == ["RG-U-0001"]


def test_a_key_a_widget_took_breaks_the_line(parser, clock):
    unclaimed(parser, "RG-U", at=5_000, step=60)
    parser.claimed()
    unclaimed(parser, "-0001", at=6_000, step=60)
    seen = Recorder(parser)
    parser.end_line()
    assert seen.scans == ["-0001"]


def test_a_long_pause_breaks_the_line(parser, clock):
    unclaimed(parser, "xyz", at=5_000, step=60)
    unclaimed(parser, "RG-U-0001", at=5_120 + LINE_PAUSE_MS + 1, step=60)
    seen = Recorder(parser)
    parser.end_line()
    assert seen.scans == ["RG-U-0001"]


def test_a_scan_that_paused_after_its_first_key_is_read_whole(parser, clock):
    # "R", then 30 ms of nothing: released, and no widget took it. "G-LGT-MAC-003" and
    # Enter follow fast: the scan is the line and the run together.
    seen = Recorder(parser)
    parser.key("R", "R", at=5_000)
    clock.advance(30.0)
    parser.key("G", "G", at=5_030)  # releases "R"...
    assert seen.released == ["R"]
    parser.unclaimed("R", 5_000)  # ...which the filter delivered, and nobody took
    stamped(parser, clock, "-LGT-MAC-003", at=5_032, step=2, handled_every=2.0)
    assert seen.scans == ["RG-LGT-MAC-003"]
    assert parser.end_line() is False  # the line went into that scan


def test_a_run_long_after_the_line_is_read_alone(parser, clock):
    seen = Recorder(parser)
    unclaimed(parser, "xyz", at=5_000, step=60)
    stamped(parser, clock, "RG-U-0001", at=5_120 + LINE_PAUSE_MS + 1, step=2, handled_every=2.0)
    assert seen.scans == ["RG-U-0001"]


def test_a_line_that_breaks_the_rules_is_not_glued_on(qapp, clock):
    parser = WedgeParser(gap_ms=20, prefix="$", min_length=3, clock=clock)
    seen = Recorder(parser)
    unclaimed(parser, "zz", at=5_000, step=60)
    stamped(parser, clock, "$RG-U-0001", at=5_200, step=2, handled_every=2.0)
    assert seen.scans == ["RG-U-0001"]  # "zz$RG-U-0001" has no prefix: the run alone


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=3, max_size=40
    ),
    steps=st.lists(st.integers(min_value=0, max_value=19), min_size=40, max_size=40),
    stalls=st.lists(st.floats(min_value=0.0, max_value=2_000.0), min_size=40, max_size=40),
)
def test_any_stamped_fast_burst_survives_any_stall(qapp, make_clock, code, steps, stalls):
    clock = make_clock()
    parser = WedgeParser(gap_ms=20, min_length=3, clock=clock)
    seen = Recorder(parser)
    at = 1_000_000
    for char, step, stall in zip(code, steps, stalls, strict=False):
        parser.key(char, char, at=at)
        at += step
        clock.advance(stall)
    parser.key("", "<enter>", terminator=True, at=at)
    assert seen.scans == [code] and seen.released == []
