"""Every schema an API operation reads its JSON body into derives from ObjectIn, so a body
that is not an object is refused as such (tests/integration/test_object_bodies.py tries it)."""

from types import UnionType
from typing import Union, get_args, get_origin

from ninja.params.models import BodyModel
from pydantic import BaseModel

from despatch.api.schemas import ObjectIn
from tests.unit.test_declared_permissions import api_operations


def body_schemas():
    for name, operation in api_operations():
        for model in operation.models:
            if not issubclass(model, BodyModel):
                continue
            for field in model.model_fields.values():
                kind = field.annotation
                either = get_origin(kind) in (Union, UnionType)  # PackIn | None
                for candidate in (kind, *(get_args(kind) if either else ())):
                    if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                        yield name, candidate


def test_every_body_schema_refuses_a_body_that_is_not_an_object():
    found = list(body_schemas())
    assert len(found) > 25
    wrong = [
        f"{name}: {schema.__name__}" for name, schema in found if not issubclass(schema, ObjectIn)
    ]
    assert not wrong, f"derive these from despatch.api.schemas.ObjectIn: {wrong}"
