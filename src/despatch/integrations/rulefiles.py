"""Rule set files: YAML in, plain data out, and every error placed on its line."""

from __future__ import annotations

import re
from typing import Any

import yaml

from despatch.domain.errors import FieldError, ValidationFailed


def parse(text: str) -> tuple[Any, dict[str, int]]:
    """The YAML's data and the line (1-based) of each path in it: ``rules[2].when.country``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "the file"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValidationFailed(
            [FieldError("", f"{where}: not valid YAML ({problem})", "yaml")]
        ) from None
    except RecursionError:  # Python's stack, before any rule set's depth
        raise ValidationFailed([FieldError("", "the file: nested too deeply", "yaml")]) from None
    lines: dict[str, int] = {}
    if node is not None:
        _walk(node, "", lines)
    return data, lines


def _walk(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            lines[child] = key.start_mark.line + 1
            _walk(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, f"{path}[{i}]", lines)


def place(error: ValidationFailed, lines: dict[str, int]) -> ValidationFailed:
    """The same errors, each message starting with the line of its field (or its parent)."""
    placed = []
    for e in error.errors:
        line = _line_of(e.field, lines)
        prefix = f"line {line}: " if line and not e.message.startswith("line ") else ""
        placed.append(FieldError(e.field, prefix + e.message, e.code, e.hint))
    return ValidationFailed(placed)


def _line_of(path: str, lines: dict[str, int]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        parent = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path)
        if parent == path:  # a key with brackets or dots of its own: no parent to climb to
            break
        path = parent
    return lines.get("")
