"""Every API operation, URL pattern and CLI command declares the permission it needs (or says
why it is public), and every declared permission is in the domain's table."""

import typer
from django.urls import URLPattern, URLResolver, get_resolver

from despatch.api.app import api
from despatch.api.auth import Public, TokenAuth
from despatch.cli.app import app as cli_app
from despatch.domain.permissions import PERMISSIONS


def api_operations():
    schema_paths = api.get_openapi_schema()["paths"]
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    yield f"{method} /api/{prefix.strip('/')}/{path.lstrip('/')}", operation
    assert schema_paths  # the schema was built: the routers are the ones it lists


def test_every_api_operation_declares_a_permission_or_a_public_reason():
    seen, undeclared = 0, []
    for name, operation in api_operations():
        seen += 1
        callbacks = operation.auth_callbacks
        ok = len(callbacks) == 1 and (
            (isinstance(callbacks[0], TokenAuth) and callbacks[0].permission in PERMISSIONS)
            or (isinstance(callbacks[0], Public) and callbacks[0].why)
        )
        if not ok:
            undeclared.append(name)
    assert seen > 80 and not undeclared, undeclared


def test_the_openapi_schema_lists_no_operation_the_routers_do_not_check():
    from_schema = sum(
        1
        for ops in api.get_openapi_schema()["paths"].values()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    )
    assert from_schema == sum(1 for _ in api_operations())


def url_patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if prefix + str(entry.pattern) == "api/":
                continue  # the API: checked per operation above
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_url_pattern_declares_a_permission_or_a_public_reason():
    seen, undeclared = 0, []
    for route, view in url_patterns():
        seen += 1
        permission = getattr(view, "permission", None)
        if not (permission in PERMISSIONS or getattr(view, "public", "")):
            undeclared.append(route)
    assert seen > 20 and not undeclared, undeclared


def cli_commands(group: typer.Typer, prefix: str = ""):
    for command in group.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        yield f"{prefix}{name}", command.callback
    for sub in group.registered_groups:
        yield from cli_commands(sub.typer_instance, f"{prefix}{sub.name} ")


def test_every_cli_command_declares_a_permission_or_why_it_needs_none():
    seen, undeclared = 0, []
    for name, callback in cli_commands(cli_app):
        seen += 1
        permission = getattr(callback, "permission", None)
        if not (permission in PERMISSIONS or getattr(callback, "local", "")):
            undeclared.append(name)
    assert seen > 70 and not undeclared, undeclared


def test_the_schema_names_each_operations_permission():
    paths = api.get_openapi_schema()["paths"]
    assert paths["/api/orders"]["post"]["x-permission"] == "orders.capture"
    assert paths["/api/refunds/{refund_id}/approve"]["post"]["x-permission"] == "refunds.approve"
    assert "signed" in paths["/api/channels/{code}/webhooks"]["post"]["x-public"]
