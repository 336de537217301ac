"""One lean HTTP transport for the Stripe SDK: urllib3's connection pool, nothing more.

The SDK's default client goes through ``requests``, whose per-call work (preparing the
request, merging session settings and cookies, hooks, adapters) was a fifth of a webhook's
server CPU, for features a server-to-Stripe call never uses. The SDK documents
``HTTPClient`` as the class custom clients inherit from; this one keeps what matters —
certificate verification against Stripe's CA bundle, the environment's proxy, timeouts,
keep-alive, and connection failures as ``APIConnectionError`` — and drops the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe
import urllib3
from stripe import _error as stripe_errors

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0


class Urllib3StripeClient(stripe.HTTPClient):
    name = "urllib3"

    def __init__(self, *, proxy: str | None = None, pool_size: int = 16) -> None:
        super().__init__(verify_ssl_certs=True, proxy=proxy)
        options: dict[str, Any] = {
            "num_pools": 4,
            "maxsize": pool_size,  # one keep-alive connection per concurrent request
            "cert_reqs": "CERT_REQUIRED",
            "ca_certs": stripe.ca_bundle_path,
            "timeout": urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
            "retries": False,  # the SDK decides about retries (we ask it for none)
        }
        self._pool = (
            urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        )

    def request(  # type: ignore[override]  # stripe types the body str; the SDK takes bytes
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            response = self._pool.request(
                method.upper(),
                url,
                body=post_data,
                headers=dict(headers or {}),
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise stripe_errors.APIConnectionError(
                f"could not reach Stripe at {url.split('?')[0]}: {exc}", should_retry=True
            ) from exc
        return response.data, response.status, response.headers

    def request_stream(self, *args: Any, **kwargs: Any) -> tuple[Any, int, Mapping[str, str]]:
        raise NotImplementedError("streaming responses are not used by RentGuy")

    def close(self) -> None:
        self._pool.clear()
