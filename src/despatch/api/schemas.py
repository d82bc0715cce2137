"""What every request body schema shares.

ninja reads a body through attribute access, so a JSON array or number given where an object
is expected would pass as an object missing every field: a schema whose fields all have
defaults would take ``[1, 2]``. Every body schema derives from :class:`ObjectIn`, which refuses
such a body as what it is (422 ``not_an_object`` on ``body``); a unit test finds a body schema
that does not (tests/unit/test_declared_permissions.py lists the operations)."""

from typing import Any

from ninja import Schema
from pydantic import BaseModel, model_validator
from pydantic_core import PydanticCustomError

NOT_AN_OBJECT = "the body must be a JSON object"


class ObjectIn(Schema):
    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        """A list or a scalar is refused as such (not as an object missing every field)."""
        given = getattr(data, "_obj", data)  # ninja hands the body over wrapped
        if not isinstance(given, dict | BaseModel):
            raise PydanticCustomError("not_an_object", NOT_AN_OBJECT)
        return data
