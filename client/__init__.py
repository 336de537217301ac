"""RentGuy Kiosk: the PySide6 warehouse scanning client (SPEC §3).

Layout: ``config`` (settings and station token), ``store`` + ``mirror`` (local SQLite:
the scan outbox and the reference mirror), ``scanners`` (inputs that emit ``ScanRead``),
``controller`` (decisions, no widgets), ``sync`` (upload/download engine and its thread),
``ui`` (thin widgets) and ``app`` (wiring and the ``rentguy-kiosk`` entry point).
"""
