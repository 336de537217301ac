"""``server/models.py`` names every table: Alembic's autogenerate and ``create_all`` see only
what is imported, and its ``__all__`` is the list a reader goes by."""

from __future__ import annotations

import importlib
from pathlib import Path

import server.models
from server.db import Base

SERVER = Path(server.models.__file__).parent


def test_every_table_is_named_in_server_models():
    # Every models.py of every package, so a table server/models.py forgets still shows up.
    for path in SERVER.rglob("models.py"):
        importlib.import_module(".".join(path.relative_to(SERVER.parent).with_suffix("").parts))
    named = {getattr(server.models, name) for name in server.models.__all__}
    tables = {cls.__table__.name for cls in named if hasattr(cls, "__table__")}
    assert tables == set(Base.metadata.tables)
