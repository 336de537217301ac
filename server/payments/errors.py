"""Payment errors, placed in the app's error tree (server.errors).

ExternalServiceError 502
└── PaymentProviderError 502     the provider refused or failed; unsupported hook
    └── ProviderUnavailable 503  network/5xx/rate limit: try again later
Conflict 409
├── ProviderNotConfigured 409    no API key for that provider
└── PaymentNotCancelable 409     the provider will not cancel this payment (now)
BadRequest 400
└── WebhookRejected 400          missing/bad/stale signature, unreadable body
"""

from __future__ import annotations

from server.errors import BadRequest, Conflict, ExternalServiceError


class PaymentProviderError(ExternalServiceError):
    code = "payment_provider_error"


class ProviderUnavailable(PaymentProviderError):
    status_code = 503
    code = "payment_provider_unavailable"


class ProviderNotConfigured(Conflict):
    code = "payment_provider_not_configured"


class PaymentNotCancelable(Conflict):
    code = "payment_not_cancelable"


class WebhookRejected(BadRequest):
    code = "webhook_rejected"
