"""Upload the scan outbox, then download reference data (SPEC §4).

``engine`` is plain Python (tests and a CLI drive it directly); ``worker`` runs it on a
QThread for the kiosk UI.
"""
