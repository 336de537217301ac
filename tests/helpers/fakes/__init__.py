"""Strict fake payment providers (Stripe, Mollie) served over loopback HTTP for tests.

The real SDKs talk to them; they validate requests the way the real APIs do and can be
told to fail, delay or drop answers. They refuse to start in production.
"""

from tests.helpers.fakes.mollie import FakeMollie
from tests.helpers.fakes.server import FakeServer
from tests.helpers.fakes.stripe import FakeStripe

__all__ = ["FakeMollie", "FakeServer", "FakeStripe"]
