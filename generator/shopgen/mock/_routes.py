"""Finding the operation a request names: path templates matched literal segments first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from shopgen.contract import Contract, Operation, PathItem

__all__ = ["Match", "Router"]

_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Match:
    item: PathItem
    operation: Operation | None
    """None when the path exists but not with this method (405)."""
    path_params: dict[str, str]
    methods: tuple[str, ...]


class Router:
    def __init__(self, contract: Contract) -> None:
        routes: list[tuple[tuple[tuple[bool, str], ...], re.Pattern[str], PathItem, list[str]]] = []
        for item in contract.paths:
            names: list[str] = []
            pieces = _PARAM.split(item.template)
            regex = ""
            for index, piece in enumerate(pieces):
                if index % 2:
                    names.append(piece)
                    regex += f"(?P<p{len(names) - 1}>[^/]+)"
                else:
                    regex += re.escape(piece)
            order = tuple((s.startswith("{"), s) for s in item.template.split("/"))
            routes.append((order, re.compile(f"^{regex}/?$"), item, names))
        routes.sort(key=lambda route: route[0])
        self._routes = routes
        self._operations = {(op.path.template, op.method): op for op in contract.operations}

    def match(self, method: str, path: str) -> Match | None:
        for _, regex, item, names in self._routes:
            found = regex.match(path)
            if found is None:
                continue
            params = {name: unquote(found.group(f"p{i}")) for i, name in enumerate(names)}
            methods = tuple(m for (template, m) in self._operations if template == item.template)
            operation = self._operations.get((item.template, method.lower()))
            return Match(item, operation, params, methods)
        return None
