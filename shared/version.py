"""The release version of the whole project (kiosk and server ship together).

One place: ``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``), the kiosk sends it
with every sync request and the server states it in ``/healthz``. Releases and their
commits are listed in ``releases.toml``; what changed in each, in ``CHANGELOG.md``.
"""

__version__ = "0.2.0"
