"""Operations: JSON logs with request ids, Prometheus metrics, health and readiness."""
