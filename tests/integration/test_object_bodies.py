"""Every operation that reads a JSON body refuses one that is not an object (an array, a
number, a string) with 422 naming ``body``, whatever its fields' defaults: a schema whose
fields all have defaults used to take ``[1, 2]`` as an empty object."""

import pytest

from despatch.api.app import api
from tests.integration.test_permissions import bearer, call, concrete


def json_body_operations():
    for path, methods in api.get_openapi_schema(path_prefix="/api")["paths"].items():
        for method, details in methods.items():
            content = details.get("requestBody", {}).get("content", {})
            if method in ("post", "put", "patch") and "application/json" in content:
                yield method.upper(), concrete(path)


OPERATIONS = sorted(set(json_body_operations()))


def test_the_operations_are_found():
    assert ("POST", "/api/orders") in OPERATIONS and ("PUT", "/api/rates") in OPERATIONS
    assert len(OPERATIONS) > 30


def takes_a_list(path):
    return path.endswith(("/listings", "/locations"))  # PUT a whole list: [] is one


CASES = [
    (method, path, body)
    for method, path in OPERATIONS
    for body in ([1, 2], [], 7, "text")
    if not (body == [] and takes_a_list(path))
]


@pytest.mark.parametrize(("method", "path", "body"), CASES)
def test_a_body_that_is_not_an_object_is_refused(shop, client, method, path, body):
    boss = bearer("boss", superuser=True)
    status, problem = call(client, boss, method, path, body)
    if status == 404 and problem and problem.get("detail", "").startswith("no API operation"):
        pytest.fail(f"{method} {path} is not routed")
    assert status == 422, (method, path, status, problem)
    assert problem["code"] == "validation_failed"
    fields = [e["field"] for e in problem["errors"]]
    if not takes_a_list(path):
        assert {
            "field": "body",
            "message": "the body must be a JSON object",
            "code": "not_an_object",
        } in problem["errors"], problem
    else:
        assert fields, problem
