"""Strict fakes of outside services, served over loopback HTTP by real uvicorn for tests.

Payment providers (Stripe, Mollie): the real SDKs talk to them; they validate requests the
way the real APIs do and can be told to fail, delay or drop answers. The accounting APIs
(Moneybird, Exact Online) live in their own modules here. All refuse to start in production.
"""

from tests.helpers.fakes.mollie import FakeMollie
from tests.helpers.fakes.server import FakeServer
from tests.helpers.fakes.stripe import FakeStripe

__all__ = ["FakeMollie", "FakeServer", "FakeStripe"]
