"""JSON Schema checks in the contract's dialect, reported in the generated service's words."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Literal

from shopgen.contract import Contract

from ._exchange import FieldError

__all__ = ["SchemaChecker"]

Direction = Literal["request", "response"]


class SchemaChecker:
    """Validators for the schemas of one contract, built once per schema and kept.

    A schema is checked as `allOf: [schema]` inside a copy of the document's `components` and
    `paths`, so its local `$ref`s resolve where they were written.
    """

    def __init__(self, contract: Contract) -> None:
        self._contract = contract
        self._lock = threading.Lock()
        self._ready = False
        self._validators: dict[tuple[int, str], Any] = {}

    def prepare(self) -> None:
        """Import the validators and bundle the document: a fifth of a second, so the server
        does it after it starts listening, and the first check waits for it if need be."""
        with self._lock:
            if self._ready:
                return
            import openapi_schema_validator as oas

            document = self._contract.bundled()
            self._root: dict[str, Any] = {
                k: document[k] for k in ("components", "paths") if k in document
            }
            self._classes: dict[str, Any]
            if self._contract.openapi_version.startswith("3.0"):
                self._classes = {
                    "request": oas.OAS30WriteValidator,
                    "response": oas.OAS30ReadValidator,
                }
                self._formats = oas.oas30_format_checker
            else:
                self._classes = {"request": oas.OAS31Validator, "response": oas.OAS31Validator}
                self._formats = oas.oas31_format_checker
            self._ready = True

    def _validator(self, schema: Any, direction: Direction) -> Any:
        if not self._ready:
            self.prepare()
        key = (id(schema), direction)
        found = self._validators.get(key)
        if found is None:
            wrapper = {**self._root, "allOf": [schema]}
            found = self._classes[direction](wrapper, format_checker=self._formats)
            self._validators[key] = found
        return found

    def is_valid(self, schema: Any, instance: Any, direction: Direction = "response") -> bool:
        return bool(self._validator(schema, direction).is_valid(instance))

    def messages(self, schema: Any, instance: Any, direction: Direction = "response") -> list[str]:
        """jsonschema's own messages with the path of each, for test failures and logs."""
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in self._validator(schema, direction).iter_errors(instance)
        ]

    def errors(
        self, schema: Any, instance: Any, prefix: str, *, direction: Direction = "request"
    ) -> Iterator[FieldError]:
        """Each problem of `instance` as the service states it, `prefix` before its field."""
        seen: set[tuple[str, str]] = set()
        for error in self._validator(schema, direction).iter_errors(instance):
            for problem in _translate(error, prefix):
                if (problem.field, problem.type) not in seen:
                    seen.add((problem.field, problem.type))
                    yield problem


def _field(prefix: str, path: list[Any]) -> str:
    parts = [str(p) for p in path]
    if prefix:
        return ".".join([prefix, *parts])
    return ".".join(parts) or "body"


def _literal(values: list[Any]) -> str:
    shown = [repr(v) if isinstance(v, str) else str(v) for v in values]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" or {shown[-1]}"


_TYPE_NAMES = {
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "string": ("string_type", "Input should be a valid string"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "object": ("dict_type", "Input should be a valid dictionary"),
    "null": ("none_required", "Input should be None"),
}


def _translate(error: Any, prefix: str) -> Iterator[FieldError]:
    path = list(error.absolute_path)
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    here = _field(prefix, path)
    if keyword == "required":
        present = instance if isinstance(instance, dict) else {}
        for name in value:
            if name not in present:
                yield FieldError(_field(prefix, [*path, name]), "Field required", "missing")
        return
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        for name in instance:
            if name not in allowed:
                yield FieldError(
                    _field(prefix, [*path, name]),
                    "Extra inputs are not permitted",
                    "extra_forbidden",
                )
        return
    if keyword in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        yield from _translate(best_match(error.context), prefix)
        return
    if keyword == "type":
        wanted = (
            value if isinstance(value, str) else next((t for t in value if t != "null"), "null")
        )
        kind, message = _TYPE_NAMES.get(wanted, ("type_error", f"Input should be {wanted}"))
        yield FieldError(here, message, kind)
        return
    kind, message = _describe(keyword, value, instance) or (str(keyword), error.message)
    yield FieldError(here, message, kind)


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _describe(keyword: str, value: Any, instance: Any) -> tuple[str, str] | None:
    """pydantic's type and wording for a failed keyword, where it has one."""
    size = len(instance) if isinstance(instance, list | dict | str) else 0
    match keyword:
        case "minimum":
            return "greater_than_equal", f"Input should be greater than or equal to {value}"
        case "maximum":
            return "less_than_equal", f"Input should be less than or equal to {value}"
        case "exclusiveMinimum":
            return "greater_than", f"Input should be greater than {value}"
        case "exclusiveMaximum":
            return "less_than", f"Input should be less than {value}"
        case "multipleOf":
            return "multiple_of", f"Input should be a multiple of {value}"
        case "minLength":
            return "string_too_short", f"String should have at least {_plural(value, 'character')}"
        case "maxLength":
            return "string_too_long", f"String should have at most {_plural(value, 'character')}"
        case "pattern":
            return "string_pattern_mismatch", f"String should match pattern '{value}'"
        case "enum":
            return "literal_error", f"Input should be {_literal(list(value))}"
        case "const":
            return "literal_error", f"Input should be {_literal([value])}"
        case "minItems":
            message = f"List should have at least {_plural(value, 'item')} after validation"
            return "too_short", f"{message}, not {size}"
        case "maxItems":
            message = f"List should have at most {_plural(value, 'item')} after validation"
            return "too_long", f"{message}, not {size}"
        case "minProperties":
            return "too_short", f"Object should have at least {_plural(value, 'field')}"
        case "maxProperties":
            return "too_long", f"Object should have at most {_plural(value, 'field')}"
        case "uniqueItems":
            return "unique_items", "List should have unique items"
        case "format":
            return "value_error", f"Input should be a valid {value}"
    return None
