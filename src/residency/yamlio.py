"""Reading YAML so that every error can name the file and line it comes from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from residency.errors import ConfigError

__all__ = ["YamlDocument", "load_yaml", "validate_document"]

M = TypeVar("M", bound=BaseModel)


class YamlDocument:
    """A parsed YAML file that remembers the line of every key and list item."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None) -> None:
        self.path = path
        self.data = data
        self._root = root

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the value at ``loc`` (keys, list indexes), or of its nearest parent."""
        node = self._root
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                        child = value_node
                        line = key_node.start_mark.line + 1
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    def where(self, loc: Sequence[str | int]) -> str:
        """``file:line`` for ``loc``."""
        line = self.line_of(loc)
        return f"{self.path}:{line}" if line is not None else str(self.path)


def load_yaml(path: Path, what: str = "file") -> YamlDocument:
    """Parse ``path``; a missing file or a YAML syntax error is one ``ConfigError`` line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from None
    return YamlDocument(path, data, root)


def validate_document(doc: YamlDocument, model: type[M], what: str) -> M:
    """Validate ``doc`` against ``model``; the first error becomes one line with file and line."""
    if not isinstance(doc.data, dict):
        raise ConfigError(
            f"{doc.path}: {what} must be a YAML mapping, got {type(doc.data).__name__}"
        )
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if isinstance(p, str | int)]
        key = ".".join(str(p) for p in loc) or "(top level)"
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        count = exc.error_count()
        more = f" (and {count - 1} more error{'s' if count > 2 else ''})" if count > 1 else ""
        raise ConfigError(f"{doc.where(loc)}: {what} key '{key}': {message}{more}") from None
