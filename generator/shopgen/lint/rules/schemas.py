"""House rules: schema property names, status fields, and examples that match their schemas."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from shopgen.contract import Contract, SchemaNode, join_pointer, json_text

from .._rule import Problem, rule
from ._descriptions import described
from ._error_text import describe

__all__ = ["RULES"]

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@rule(
    "property-snake-case",
    default="warn",
    good="""
    components:
      schemas:
        Address:
          type: object
          properties:
            line_1: {type: string}
            postal_code: {type: string}
    """,
    bad="""
    components:
      schemas:
        Product:
          properties:
            createdAt: {type: string, format: date-time}
    """,
    at="/components/schemas/Product/properties/createdAt",
)
def property_snake_case(contract: Contract) -> Iterator[Problem]:
    """Schema property names are lower snake_case (`created_at`, `line_1`).

    The generated service is Python and its pydantic models use the JSON names as they are;
    one casing also means no client ever guesses between `orderId`, `order_id` and
    `OrderID`. A name must match `^[a-z][a-z0-9]*(_[a-z0-9]+)*$`: lower letters and digits,
    single underscores, starting with a letter. Each property is reported once, where its
    schema is written, so `x-shopgen-ignore: [property-snake-case]` on a schema that mirrors
    a provider's payload (WeChat Pay's `appId`, `timeStamp`) silences it.
    """
    for node in contract.schemas:
        if node.name is not None and not SNAKE.fullmatch(node.name):
            yield Problem(
                node.pointer,
                f"property `{node.name}` is not snake_case; use `{_snake(node.name)}`",
            )


def _snake(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_") or "name"


STATUS_NAMES = ("status", "state")


@rule(
    "status-enum",
    default="warn",
    good="""
    components:
      schemas:
        Shipment:
          type: object
          properties:
            status:
              $ref: '#/components/schemas/ShipmentStatus'
            payment_state: {type: [string, 'null'], enum: [pending, captured, null]}
        ShipmentStatus: {type: string, enum: [label_created, in_transit, delivered]}
    """,
    bad="""
    components:
      schemas:
        Product:
          properties:
            status: {type: string, enum: [Draft, Active, Archived]}
    """,
    at="/components/schemas/Product/properties/status",
)
def status_enum(contract: Contract) -> Iterator[Problem]:
    """Status and state fields are string enums of lower snake_case values.

    Order, payment and shipment states drive client logic: a free-form string lets the
    server add `partially_refunded` and every switch statement silently falls through, and
    mixed casing (`Paid`, `PAID`) makes equal states compare unequal. A property named
    `status` or `state`, or ending in `_status` or `_state`, must be a string schema (refs
    followed, `allOf` merged, a nullable variant allowed) with an `enum` (or `const`) whose
    values are lower snake_case; `null` may stand in the enum of a nullable field. A number
    that carries an HTTP status code is not a state and is left alone: one whose description
    says HTTP, status code or response code, whose `enum`, `const`, `minimum` and `maximum`
    all lie in 100-599, or that sits in an RFC 9457 problem object (beside `detail` or
    `instance`, or both `type` and `title`).
    """
    for node in contract.schemas:
        name = node.name
        if name is None or not (name in STATUS_NAMES or name.endswith(("_status", "_state"))):
            continue
        types = contract.schema_types(node.schema)
        if types - {"null"} and types - {"null"} <= {"integer", "number"}:
            if _is_http_status(contract, node):
                continue
        if types - {"null"} != {"string"}:
            shown = "`, `".join(sorted(types)) or "untyped"
            yield Problem(node.pointer, f"`{name}` is `{shown}`; a status is a string `enum`")
            continue
        values = _enum(contract, node.schema, 0)
        if values is None:
            yield Problem(
                node.pointer,
                f"`{name}` is a free string; list its values in an `enum` of snake_case words",
            )
            continue
        bad = [
            v for v in values if v is not None and not (isinstance(v, str) and SNAKE.fullmatch(v))
        ]
        if bad:
            yield Problem(
                node.pointer,
                f"`{name}` value `{json_text(bad[0])}` is not snake_case; "
                f"use `{_snake(json_text(bad[0]))}`",
            )


_HTTP_TEXT = re.compile(r"\bhttp\b|\bstatus[ -]codes?\b|\bresponse codes?\b", re.IGNORECASE)


def _is_http_status(contract: Contract, node: SchemaNode) -> bool:
    """A number that is an HTTP status code: described so, kept to 100-599, or RFC 9457's."""
    if _HTTP_TEXT.search(described(contract, node.schema, node.holder, node.name)):
        return True
    target = contract.deref(node.schema)
    if isinstance(target, dict):
        values = list(target["enum"]) if isinstance(target.get("enum"), list) else []
        values += [target[key] for key in ("const", "minimum", "maximum") if key in target]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if values and len(numbers) == len(values) and all(100 <= v <= 599 for v in numbers):
            return True
    if node.holder is None:
        return False
    members = set(contract.schema_view(node.holder)[0])
    return bool({"detail", "instance"} & members) or {"type", "title"} <= members


def _enum(contract: Contract, schema: Any, depth: int) -> list[Any] | None:
    """The allowed values of a schema: its `enum`/`const`, else those of its subschemas."""
    node = contract.deref(schema)
    if not isinstance(node, dict) or depth > 16:
        return None
    if isinstance(node.get("enum"), list):
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    found: list[Any] | None = None
    for keyword in ("allOf", "anyOf", "oneOf"):
        members = node.get(keyword)
        for member in members if isinstance(members, list) else []:
            values = _enum(contract, member, depth + 1)
            if values is not None:
                found = [*(found or []), *values]
    return found


@rule(
    "examples-valid",
    default="error",
    good="""
    components:
      examples:
        MugEnvelope:
          value:
            code: 0
            msg: ok
            data: {id: 1, sku: MUG-1, title: Mug, price_cents: 1299, currency: CNY, status: active}
      schemas:
        Product:
          example: {id: 2, sku: TEE-1, title: Tee, price_cents: 9900, currency: CNY, status: draft}
    paths:
      /api/v1/products/{product_id}:
        get:
          responses:
            '200':
              content:
                application/json:
                  examples:
                    mug:
                      $ref: '#/components/examples/MugEnvelope'
    """,
    bad="""
    components:
      schemas:
        ProductCreate:
          example: {sku: MUG-1, title: Mug, price_cents: '12.99', currency: CNY}
    """,
    at="/components/schemas/ProductCreate/example",
)
def examples_valid(contract: Contract) -> Iterator[Problem]:
    """Every example validates against the schema it illustrates.

    Examples are what integrators copy first, and mock servers and the docs replay them; an
    example with `price: '12.99'` where the schema says integer cents teaches the wrong
    contract faster than the schema can teach the right one. Checked: `example` and each
    `examples.*.value` (an example may be a `$ref` to `components/examples`) of media
    types, parameters and headers, wherever they are written, and a schema's own `example`
    and (3.1) `examples` list. OpenAPI 3.1 schemas are JSON Schema 2020-12; 3.0 schemas use
    the OpenAPI 3.0 dialect (`nullable`, `int32`/`int64` formats). Formats are asserted
    (`date-time`, `email`, `uuid`, …) since clients parse them. A `$ref`'d example is
    reported where it is used, since its validity depends on that schema. Each bad example
    is one finding: the validator's most relevant error and where inside the example it is.
    `externalValue` is not fetched, and a schema whose references cannot be followed is left
    to `ref-resolvable`.
    """
    check = _example_checker(contract)
    for holder, pointer in contract._schema_holders():
        if not isinstance(holder, dict) or "$ref" in holder:
            continue
        schema = holder.get("schema")
        if schema is None:
            content = holder.get("content")
            media = next(iter(content.values()), None) if isinstance(content, dict) else None
            schema = media.get("schema") if isinstance(media, dict) else None
        if schema is None:
            continue
        if "example" in holder:
            yield from check(holder["example"], schema, f"{pointer}/example")
        examples = holder.get("examples")
        if isinstance(examples, dict):
            for name, raw in examples.items():
                example = contract.deref(raw)
                if isinstance(example, dict) and "value" in example:
                    where = f"{pointer}/examples{join_pointer([str(name)])}"
                    if not (isinstance(raw, dict) and "$ref" in raw):
                        where += "/value"
                    yield from check(example["value"], schema, where)
    for node in contract.schemas:
        schema = node.schema
        if "example" in schema:
            yield from check(schema["example"], schema, f"{node.pointer}/example")
        if isinstance(schema.get("examples"), list):
            for index, value in enumerate(schema["examples"]):
                yield from check(value, schema, f"{node.pointer}/examples/{index}")


ExampleCheck = Callable[[Any, Any, str], Iterator[Problem]]


def _example_checker(contract: Contract) -> ExampleCheck:
    """A function validating one example against one schema, the document's refs resolvable.

    The registry and resolver are built once; each schema gets a light validator over them.
    """
    import jsonschema
    import referencing
    import referencing.exceptions
    import referencing.jsonschema

    base = "urn:shopgen:contract"
    validator_class: Any
    if contract.is_31:
        validator_class = jsonschema.Draft202012Validator
        specification = referencing.jsonschema.DRAFT202012
    else:
        from openapi_schema_validator import OAS30Validator

        validator_class = OAS30Validator
        specification = referencing.jsonschema.DRAFT4
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(
        base, specification.create_resource(contract.document)
    )
    resolver = registry.resolver(base_uri=base)
    format_checker = validator_class.FORMAT_CHECKER
    broken_schema = (
        referencing.exceptions.Unresolvable,
        jsonschema.exceptions.UnknownType,
        jsonschema.exceptions.SchemaError,
        re.error,
        RecursionError,
        TypeError,
        ValueError,
        AttributeError,
        LookupError,
    )
    cache: dict[int, Any] = {}
    plain = _PlainCheck(contract, format_checker)

    def check(instance: Any, schema: Any, pointer: str) -> Iterator[Problem]:
        if not isinstance(schema, dict | bool):
            return
        if plain.valid(instance, schema):
            return
        try:
            validator = cache.get(id(schema))
            if validator is None:
                validator = validator_class(
                    schema, registry=registry, _resolver=resolver, format_checker=format_checker
                )
                cache[id(schema)] = validator
            errors = validator.iter_errors(instance)
            first = next(errors, None)
            if first is None:
                return
            best = jsonschema.exceptions.best_match([first, *errors])
        except broken_schema:
            return  # a schema the validator cannot apply: oas-structure reports it
        if best is None:
            return
        inside = join_pointer([str(part) for part in best.absolute_path]) or "/"
        yield Problem(pointer, f"example is invalid at `{inside}`: {_shorten(describe(best))}")

    return check


# Keywords that never make an instance invalid: annotations, in both dialects.
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
        "xml",
        "discriminator",
        "$comment",
        "contentMediaType",
        "contentEncoding",
    }
)
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


_Keyword = Callable[[Any, Any, Any, int], bool]


class _PlainCheck:
    """Says quickly that an example is valid, for the keywords most schemas are made of.

    The validator builds an object per subschema it enters, which makes a big contract's
    examples cost half a second; most examples are valid and most schemas use only `type`,
    `properties`, `required`, `items`, `enum`, `$ref` and `allOf`. `valid` answers True only
    when the instance surely validates (it is never more lenient than the validator: floats
    are not integers, 3.1 ignores `nullable`) and False for "ask the validator", which also
    writes the message.
    """

    def __init__(self, contract: Contract, format_checker: Any) -> None:
        self._contract = contract
        self._nullable = not contract.is_31
        self._formats = format_checker
        self._patterns: dict[str, re.Pattern[str] | None] = {}
        self._plans: dict[int, list[tuple[_Keyword, Any]] | None | tuple[()]] = {}

    def valid(self, instance: Any, schema: Any, depth: int = 0) -> bool:
        if schema is True or schema == {}:
            return True
        if not isinstance(schema, dict) or depth > 64:
            return False
        plan = self._plans.get(id(schema), ())
        if plan == ():
            plan = self._plans[id(schema)] = self._plan(schema)
        if plan is None:
            return False
        return all(check(instance, value, schema, depth) for check, value in plan)

    def _plan(self, schema: dict[str, Any]) -> list[tuple[_Keyword, Any]] | None:
        """The keyword checks a schema needs, or None if one is beyond this class."""
        if self._nullable and "discriminator" in schema:
            return None  # the 3.0 validator picks the branch by the discriminator's value
        plan = []
        for key, value in schema.items():
            if key in _ANNOTATIONS or key == "nullable" or key.startswith("x-"):
                continue
            check = getattr(self, "_" + key.lstrip("$"), None)
            if check is None:
                return None
            plan.append((check, value))
        return plan

    def _ref(self, instance: Any, ref: Any, schema: Any, depth: int) -> bool:
        target = self._contract.deref({"$ref": ref})
        return target != {} and self.valid(instance, target, depth + 1)

    def _type(self, instance: Any, declared: Any, schema: Any, depth: int) -> bool:
        if self._nullable and instance is None and schema.get("nullable") is True:
            return True
        types = [declared] if isinstance(declared, str) else declared
        return isinstance(types, list) and any(
            isinstance(t, str) and t in _TYPES and _TYPES[t](instance) for t in types
        )

    def _format(self, instance: Any, fmt: Any, schema: Any, depth: int) -> bool:
        if not isinstance(fmt, str) or fmt not in self._formats.checkers:
            return True
        return bool(self._formats.conforms(instance, fmt))

    def _enum(self, instance: Any, values: Any, schema: Any, depth: int) -> bool:
        if isinstance(instance, dict | list) or not isinstance(values, list):
            return False
        return any(type(v) is type(instance) and v == instance for v in values)

    def _properties(self, instance: Any, properties: Any, schema: Any, depth: int) -> bool:
        if not isinstance(instance, dict):
            return True
        if not isinstance(properties, dict):
            return False
        return all(
            self.valid(value, properties[name], depth + 1)
            for name, value in instance.items()
            if name in properties
        )

    def _required(self, instance: Any, names: Any, schema: Any, depth: int) -> bool:
        return not isinstance(instance, dict) or (
            isinstance(names, list) and all(name in instance for name in names)
        )

    def _additionalProperties(self, instance: Any, extra: Any, schema: Any, depth: int) -> bool:
        if not isinstance(instance, dict) or extra is True:
            return True
        if "patternProperties" in schema:
            return False
        declared = schema.get("properties")
        declared = declared if isinstance(declared, dict) else {}
        others = [value for name, value in instance.items() if name not in declared]
        if extra is False:
            return not others
        return all(self.valid(value, extra, depth + 1) for value in others)

    def _items(self, instance: Any, items: Any, schema: Any, depth: int) -> bool:
        if not isinstance(instance, list):
            return True
        return isinstance(items, dict) and all(
            self.valid(value, items, depth + 1) for value in instance
        )

    def _allOf(self, instance: Any, members: Any, schema: Any, depth: int) -> bool:
        return isinstance(members, list) and all(
            self.valid(instance, member, depth + 1) for member in members
        )

    def _anyOf(self, instance: Any, members: Any, schema: Any, depth: int) -> bool:
        return isinstance(members, list) and any(
            self.valid(instance, member, depth + 1) for member in members
        )

    def _oneOf(self, instance: Any, members: Any, schema: Any, depth: int) -> bool:
        """Exactly one branch: one surely valid, every other surely invalid."""
        if not isinstance(members, list):
            return False
        matched = False
        for member in members:
            if not matched and self.valid(instance, member, depth + 1):
                matched = True
            elif not self._surely_invalid(instance, member, depth + 1):
                return False
        return matched

    def _surely_invalid(self, instance: Any, schema: Any, depth: int) -> bool:
        """A branch that cannot match: wrong type, a missing required property, not in `enum`."""
        node = self._contract.deref(schema)
        if not isinstance(node, dict) or node == {} or depth > 64:
            return False
        if "type" in node and not self._may_have_type(instance, node["type"], node):
            return True
        if "enum" in node and not isinstance(instance, dict | list):
            values = node["enum"]
            if isinstance(values, list) and not any(_json_equal(v, instance) for v in values):
                return True
        required = node.get("required")
        if isinstance(instance, dict) and isinstance(required, list):
            properties = node.get("properties")
            properties = properties if isinstance(properties, dict) else {}
            for name in required:
                if name in instance:
                    continue
                declared = properties.get(name)
                # OpenAPI 3.0's validator excuses a missing readOnly/writeOnly property.
                excused = (
                    self._nullable
                    and isinstance(declared, dict)
                    and (declared.get("readOnly") or declared.get("writeOnly"))
                )
                if not excused:
                    return True
        members = node.get("allOf")
        return isinstance(members, list) and any(
            self._surely_invalid(instance, member, depth + 1) for member in members
        )

    def _may_have_type(self, instance: Any, declared: Any, schema: Any) -> bool:
        """Whether the validator could take `instance` for a declared type: `_type`, except
        that Draft 2020-12 counts an integral float (`1.0`) as an integer."""
        if self._type(instance, declared, schema, 0):
            return True
        types = [declared] if isinstance(declared, str) else declared
        return (
            not self._nullable
            and isinstance(types, list)
            and "integer" in types
            and isinstance(instance, float)
            and instance.is_integer()
        )

    def _bound(self, instance: Any, limit: Any, holds: Callable[[Any, Any], bool]) -> bool:
        if isinstance(limit, bool) or not isinstance(limit, int | float):
            return False
        return holds(instance, limit)

    def _minimum(self, instance: Any, limit: Any, schema: Any, depth: int) -> bool:
        if not _TYPES["number"](instance):
            return True
        return "exclusiveMinimum" not in schema and self._bound(instance, limit, _ge)

    def _maximum(self, instance: Any, limit: Any, schema: Any, depth: int) -> bool:
        if not _TYPES["number"](instance):
            return True
        return "exclusiveMaximum" not in schema and self._bound(instance, limit, _le)

    def _minLength(self, instance: Any, limit: Any, schema: Any, depth: int) -> bool:
        return not isinstance(instance, str) or self._bound(len(instance), limit, _ge)

    def _maxLength(self, instance: Any, limit: Any, schema: Any, depth: int) -> bool:
        return not isinstance(instance, str) or self._bound(len(instance), limit, _le)

    def _minItems(self, instance: Any, limit: Any, schema: Any, depth: int) -> bool:
        return not isinstance(instance, list) or self._bound(len(instance), limit, _ge)

    def _maxItems(self, instance: Any, limit: Any, schema: Any, depth: int) -> bool:
        return not isinstance(instance, list) or self._bound(len(instance), limit, _le)

    def _pattern(self, instance: Any, pattern: Any, schema: Any, depth: int) -> bool:
        if not isinstance(instance, str):
            return True
        if not isinstance(pattern, str):
            return False
        if pattern not in self._patterns:
            try:
                self._patterns[pattern] = re.compile(pattern)
            except re.error:
                self._patterns[pattern] = None
        compiled = self._patterns[pattern]
        return compiled is not None and compiled.search(instance) is not None


def _json_equal(value: Any, instance: Any) -> bool:
    """Equality as the validators compare `enum` values: numbers by value (`1 == 1.0`), but
    `true` is no `1`."""
    if isinstance(value, bool) or isinstance(instance, bool):
        return type(value) is type(instance) and value == instance
    if isinstance(value, int | float) and isinstance(instance, int | float):
        return bool(value == instance)
    return type(value) is type(instance) and bool(value == instance)


def _ge(value: Any, limit: Any) -> bool:
    return bool(value >= limit)


def _le(value: Any, limit: Any) -> bool:
    return bool(value <= limit)


def _shorten(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


RULES = (property_snake_case, status_enum, examples_valid)
