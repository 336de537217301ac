"""Qt translations of the kiosk. English is the source language; ``rentguy_nl.qm`` is
compiled from ``rentguy_nl.ts`` (run ``python -m client.i18n.build`` after changing texts)."""
