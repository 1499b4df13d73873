"""Reading YAML so that every error names the file, the line and the key it comes from.

One loader serves configuration, area files and provider catalogs. It reads only
``true``/``false`` as booleans (as YAML 1.2 does), so that ``country: NO`` stays Norway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from residency.errors import ConfigError, ResidencyError

__all__ = ["YamlDocument", "dotted", "load_yaml", "validate_document", "validation_message"]

M = TypeVar("M", bound=BaseModel)


class YamlLoader(yaml.SafeLoader):
    """Safe loader that keeps ``NO``, ``yes``, ``on``… as strings (YAML 1.1 booleans)."""


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class YamlDocument:
    """A parsed YAML file that remembers the line of every key and list item."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None) -> None:
        self.path = path
        self.data = data
        self.root = root

    def node_at(self, loc: Sequence[int | str]) -> yaml.Node | None:
        """The node at a pydantic error location (the key itself for the last step)."""
        node = self.root
        for depth, part in enumerate(loc, start=1):
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        child = key if depth == len(loc) else value
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
            if child is None:
                return node
            node = child
        return node

    def where(self, loc: Sequence[int | str]) -> str:
        """``file:line`` of the value at ``loc``, or of its nearest existing parent."""
        node = self.node_at(loc)
        return f"{self.path}:{node.start_mark.line + 1}" if node is not None else str(self.path)


def load_yaml(path: Path, what: str, error: type[ResidencyError] = ConfigError) -> YamlDocument:
    """Parse ``path``; a missing file or a syntax error is one ``error`` line with file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what}: {exc}") from None
    loader = YamlLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise error(f"{path}{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, root)


def dotted(loc: Sequence[int | str]) -> str:
    """``sources[0].scale`` for a pydantic location."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float | bool):
        message += f" (got {value!r})"
    return message


def validation_message(
    doc: YamlDocument, exc: ValidationError, prefix: Sequence[int | str] = ()
) -> str:
    """The first validation error as ``file:line: key: what is wrong``."""
    errors = exc.errors()
    first = errors[0]
    loc = (*prefix, *[p for p in first["loc"] if isinstance(p, str | int)])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{doc.where(loc)}: {dotted(loc)}: {_describe(first)}{more}"


def validate_document(
    doc: YamlDocument, model: type[M], what: str, error: type[ResidencyError] = ConfigError
) -> M:
    """Validate ``doc`` against ``model``; the first error becomes one line with file and line."""
    if not isinstance(doc.data, dict):
        raise error(f"{doc.path}: a {what} must be a YAML mapping at the top level")
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise error(validation_message(doc, exc)) from None
