"""Payments: provider adapters (Stripe, Mollie), webhooks, refunds, chargebacks (SPEC §5)."""
