"""People, badges, stations: one identity per person (SPEC §2)."""
