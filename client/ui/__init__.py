"""Thin widgets: they connect signals and render; decisions live in ``client.controller``."""
