"""The provider registry: identifier → adapter class, and the configured instances."""

from __future__ import annotations

from server.config import Settings
from server.payments.errors import ProviderNotConfigured
from server.payments.providers.base import PaymentProvider
from server.payments.providers.mollie import MollieProvider
from server.payments.providers.stripe import StripeProvider

PROVIDERS: dict[str, type[PaymentProvider]] = {
    StripeProvider.identifier: StripeProvider,
    MollieProvider.identifier: MollieProvider,
}


class ProviderSet:
    """The adapters this server has keys for; built once per app from settings."""

    def __init__(self, providers: dict[str, PaymentProvider]) -> None:
        self._providers = providers

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderSet:
        built: dict[str, PaymentProvider] = {}
        if settings.stripe_api_key:
            built["stripe"] = StripeProvider(
                api_key=settings.stripe_api_key.get_secret_value(),
                api_base=settings.stripe_api_base,
                webhook_secrets=settings.stripe_webhook_secret_list,
            )
        if settings.mollie_api_key:
            built["mollie"] = MollieProvider(
                api_key=settings.mollie_api_key.get_secret_value(),
                api_base=settings.mollie_api_base,
            )
        return cls(built)

    def get(self, identifier: str) -> PaymentProvider:
        """The configured adapter or 409 (unknown providers too: nothing to configure)."""
        provider = self._providers.get(identifier)
        if provider is None:
            known = ", ".join(sorted(PROVIDERS))
            if identifier not in PROVIDERS:
                raise ProviderNotConfigured(f"unknown payment provider {identifier!r} ({known})")
            raise ProviderNotConfigured(
                f"payment provider {identifier!r} is not configured "
                f"(set RENTGUY_{identifier.upper()}_API_KEY)"
            )
        return provider

    def configured(self) -> list[str]:
        return sorted(self._providers)
