"""PATCH bodies: only the fields sent change, and ``null`` only clears what may be empty.

Every update schema leaves its fields optional (unset = unchanged), which also let an
explicit ``null`` through to a NOT NULL column: an IntegrityError, a 500. ``PatchBody``
refuses ``null`` for every field not named in ``clearable`` with a 422 naming the field
(``tests/server/test_patch_nulls.py`` checks every PATCH route against the columns).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.json_input import JsonInput


class PatchBody(JsonInput):
    model_config = ConfigDict(extra="forbid")
    # Fields whose column is nullable: ``null`` clears them.
    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise PydanticCustomError(
                "null_not_allowed",
                "{field} cannot be null (leave it out to keep it unchanged)",
                {"field": info.field_name},
            )
        return value
