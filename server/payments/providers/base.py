"""The one interface every payment provider adapter implements.

Adapters translate between our records and one provider's API. They never touch the
database, never change an invoice and never raise an SDK exception: every SDK error is
mapped at this edge to ``PaymentProviderError`` (or ``ProviderUnavailable`` when a retry
may help).
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Mapping
from dataclasses import dataclass, field

from server.payments.errors import PaymentProviderError

# Refund statuses in the providers' own words, by what they mean for the money.
# Mollie: queued, pending, processing, refunded, failed, canceled.
# Stripe: pending, requires_action, succeeded, failed, canceled.
REFUND_DONE = frozenset({"refunded", "succeeded"})  # the money went back
REFUND_VOID = frozenset({"failed", "canceled"})  # it never will
# Anything else (queued, pending, processing, requires_action, a word new to us) is on
# its way: shown as pending, counted in no sum of money returned.


def refund_stage(status: str) -> str:
    """``done``, ``void`` or ``pending`` for a provider's refund status."""
    if status in REFUND_DONE:
        return "done"
    if status in REFUND_VOID:
        return "void"
    return "pending"


@dataclass(frozen=True)
class RefundInfo:
    provider_refund_id: str
    amount_cents: int
    status: str  # the provider's word: pending, succeeded, refunded, failed, canceled …

    @property
    def stage(self) -> str:
        return refund_stage(self.status)


@dataclass(frozen=True)
class ChargebackInfo:
    """One chargeback (Mollie) or dispute (Stripe): money the provider took back."""

    provider_chargeback_id: str
    amount_cents: int
    reversed: bool  # the money came back: Mollie reversedAt set, Stripe dispute won


@dataclass(frozen=True)
class PaymentSnapshot:
    """A provider's payment as read from its API at one moment, in our terms."""

    provider_payment_id: str
    status: str  # one of server.payments.models.PAYMENT_STATES
    provider_status: str
    amount_cents: int
    currency: str  # upper case, ISO 4217
    invoice_id: str | None  # from the metadata we set at creation
    # The provider's own refunded total; Stripe and Mollie both count refunds still on
    # their way in it, so our sums come from ``refunds`` (see ``refunded_cents``).
    amount_refunded_cents: int = 0
    amount_charged_back_cents: int = 0
    dispute_status: str = "none"
    refunds: tuple[RefundInfo, ...] = ()
    chargebacks: tuple[ChargebackInfo, ...] = ()
    checkout_url: str | None = None

    @property
    def refunded_cents(self) -> int:
        """Refunds the provider reports done (money back with the customer)."""
        return sum(r.amount_cents for r in self.refunds if r.stage == "done")

    @property
    def refund_pending_cents(self) -> int:
        """Refunds asked for and not yet done, nor failed or canceled."""
        return sum(r.amount_cents for r in self.refunds if r.stage == "pending")


@dataclass(frozen=True)
class CreatePayment:
    invoice_id: str
    invoice_number: str
    amount_cents: int
    currency: str
    description: str
    idempotency_key: str
    return_url: str
    webhook_url: str | None = None
    method: str | None = None  # e.g. "ideal", "card"; None = provider's choice


@dataclass(frozen=True)
class WebhookRef:
    """What a verified delivery names: the event (if the provider has ids) and the payment."""

    event_id: str | None
    event_type: str | None
    payment_id: str | None  # None: not about a payment (we ignore it)
    extra: dict = field(default_factory=dict)


class PaymentProvider(ABC):  # noqa: B024 - every hook has a refusing default
    """Base class of the adapters; hooks a provider does not support refuse by default."""

    #: Stable id, stored on every payment and used in URLs; never rename one.
    identifier: str = ""
    #: Methods this adapter can ask the provider for.
    methods: tuple[str, ...] = ()

    def create_payment(self, request: CreatePayment) -> PaymentSnapshot:
        """Create the provider's payment object for an invoice.

        Runs when an admin (or the customer's checkout) starts a payment. Sends
        ``request.idempotency_key`` so a retry after a lost answer returns the same object.
        Must never capture or move money itself and never be retried with a new key.
        """
        raise PaymentProviderError(f"{self.identifier}: creating payments is not supported")

    def fetch_payment(self, provider_payment_id: str) -> PaymentSnapshot | None:
        """Read the payment, its refunds and chargebacks/disputes as the provider has them now.

        Runs for every webhook about the payment and in reconciliation. Returns None when
        the provider does not know the id. Must never change anything at the provider.
        ``refunds`` must hold every refund the payment has, in whatever status (including
        failed ones): the sums of money returned are made from it.
        """
        raise PaymentProviderError(f"{self.identifier}: fetching payments is not supported")

    def cancel_payment(self, provider_payment_id: str) -> PaymentSnapshot:
        """Cancel a payment that is still open, so its amount can be asked again.

        Runs only when an admin cancels one of our open (or failed) payments. Returns the
        payment as the provider has it after the cancel. Raises ``PaymentNotCancelable``
        when the provider will not cancel it (paid meanwhile; a method that cannot be
        canceled). Must never cancel, refund or reverse money already paid.
        """
        raise PaymentProviderError(f"{self.identifier}: canceling payments is not supported")

    def refund(
        self, *, provider_payment_id: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> RefundInfo:
        """Refund ``amount_cents`` of a paid payment.

        Runs only when an admin with ``payments:refund`` asks for it, after our own checks
        (amount ≤ what remains). Must send the idempotency key and must never refund more
        than asked; a second call with the same key must not refund twice.
        """
        raise PaymentProviderError(f"{self.identifier}: refunds are not supported")

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookRef:
        """Verify a delivery (where the provider signs) and say which payment it is about.

        Runs first for every delivery, before anything is trusted. Raises
        ``WebhookRejected`` for a missing/bad/stale signature or an unreadable body. Must
        never trust the state in the body: the caller re-fetches the payment.
        """
        raise PaymentProviderError(f"{self.identifier}: webhooks are not supported")
