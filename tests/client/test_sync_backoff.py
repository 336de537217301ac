"""Back-off with full jitter: bounds, growth, cap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from client.sync.backoff import MAX_DELAY_S, backoff_delay


def test_no_failure_no_wait():
    assert backoff_delay(0, rand=lambda: 0.99) == 0.0
    assert backoff_delay(-3, rand=lambda: 0.99) == 0.0


def test_ceiling_doubles_from_the_base_then_caps():
    top = [backoff_delay(n, rand=lambda: 1.0) for n in range(1, 9)]
    assert top == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_full_jitter_can_draw_anything_down_to_zero():
    assert backoff_delay(5, rand=lambda: 0.0) == 0.0
    assert backoff_delay(5, rand=lambda: 0.5) == 8.0


def test_custom_base_and_cap():
    assert backoff_delay(3, base_s=0.5, cap_s=1.5, rand=lambda: 1.0) == 1.5
    assert backoff_delay(2, base_s=0.5, cap_s=10, rand=lambda: 1.0) == 1.0


@given(
    failures=st.integers(min_value=1, max_value=10**9),
    draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
)
def test_always_within_zero_and_the_cap(failures, draw):
    delay = backoff_delay(failures, rand=lambda: draw)
    assert 0.0 <= delay < MAX_DELAY_S or delay == 0.0


def test_default_randomness_stays_in_bounds():
    for failures in range(1, 40):
        ceiling = min(MAX_DELAY_S, 2.0 ** (failures - 1))
        assert 0.0 <= backoff_delay(failures) <= ceiling
