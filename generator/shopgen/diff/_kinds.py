"""Every kind of change `shopgen diff` reports, and whether it breaks existing clients.

Breaking is a property of the kind, never of one finding: direction is part of the id
(`enum-value-added-request` is fine, `enum-value-added-response` is not), so a kind means the
same thing wherever it shows up and `--fail-on breaking` is predictable.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "Kind"]


@dataclass(frozen=True)
class Kind:
    id: str
    breaking: bool
    summary: str


def _table(*rows: tuple[str, bool, str]) -> dict[str, Kind]:
    return {row[0]: Kind(*row) for row in rows}


KINDS = _table(
    # operations
    ("path-removed", True, "a path and every operation under it is gone"),
    ("operation-removed", True, "an operation (method on a path that stays) is gone"),
    ("operation-added", False, "a new operation"),
    ("operation-id-changed", True, "operationId renamed: generated SDK methods are renamed"),
    ("operation-deprecated", False, "an operation became deprecated"),
    # parameters
    ("parameter-removed", True, "a parameter is gone: what clients send is silently dropped"),
    ("parameter-added", False, "a new optional parameter"),
    ("parameter-added-required", True, "a new required parameter"),
    ("parameter-became-required", True, "an optional parameter became required"),
    ("parameter-became-optional", False, "a required parameter became optional"),
    # request bodies
    ("request-body-added", False, "an optional request body where there was none"),
    ("request-body-added-required", True, "a required request body where there was none"),
    ("request-body-removed", True, "the request body is gone: what clients send is ignored"),
    ("request-body-became-required", True, "an optional request body became required"),
    ("request-body-became-optional", False, "a required request body became optional"),
    ("request-media-type-removed", True, "a request media type is no longer accepted"),
    ("request-media-type-added", False, "a new request media type is accepted"),
    # responses
    ("response-status-removed", True, "a success (1xx-3xx) response status is gone"),
    ("error-response-status-removed", False, "an error (4xx/5xx/default) response is gone"),
    ("response-status-added", False, "a new response status"),
    ("response-media-type-removed", True, "a response media type is no longer served"),
    ("response-media-type-added", False, "a new response media type"),
    ("response-header-removed", True, "a response header is gone"),
    # request schemas: narrowing breaks the clients that send
    ("request-property-removed", True, "a request property is gone: its value is dropped"),
    ("request-property-added", False, "a new optional request property"),
    ("request-property-added-required", True, "a new required request property"),
    ("request-property-became-required", True, "an optional request property became required"),
    ("request-property-became-optional", False, "a required request property became optional"),
    ("request-type-narrowed", True, "a request value accepts fewer types (or no longer null)"),
    ("request-type-widened", False, "a request value accepts more types"),
    ("enum-value-removed-request", True, "a request enum lost a value"),
    ("enum-value-added-request", False, "a request enum gained a value"),
    ("request-constraint-tightened", True, "tighter maxLength/maximum/pattern/format/enum…"),
    ("request-constraint-loosened", False, "looser maxLength/maximum/pattern/format/enum…"),
    ("request-variant-removed", True, "a oneOf/anyOf alternative is no longer accepted"),
    ("request-variant-added", False, "a new oneOf/anyOf alternative is accepted"),
    # response schemas: widening breaks the clients that read
    ("response-property-removed", True, "a response property is gone"),
    ("response-property-renamed", True, "a response property renamed (same schema)"),
    ("response-property-added", False, "a new response property"),
    ("response-property-became-optional", True, "a required response property became optional"),
    ("response-property-became-required", False, "an optional response property became required"),
    ("response-property-became-nullable", True, "a response value may now be null"),
    ("response-type-widened", True, "a response value may have a type it could not"),
    ("response-type-narrowed", False, "a response value has fewer possible types"),
    ("enum-value-removed-response", False, "a response enum lost a value"),
    ("enum-value-added-response", True, "a response enum gained a value clients cannot decode"),
    ("response-constraint-loosened", True, "looser bounds, pattern or format on a response"),
    ("response-constraint-tightened", False, "tighter bounds, pattern or format on a response"),
    ("response-variant-added", True, "a response may be a new oneOf/anyOf alternative"),
    ("response-variant-removed", False, "a oneOf/anyOf alternative is no longer returned"),
    # security
    ("security-added", True, "a public operation now requires credentials"),
    ("security-removed", False, "a secured operation became public"),
    ("security-scopes-added", True, "a security requirement needs more scopes"),
    ("security-requirement-changed", True, "credentials that worked no longer satisfy it"),
    ("security-loosened", False, "a new way to authenticate, or fewer scopes needed"),
    ("security-scheme-changed", True, "a security scheme's type, location or name changed"),
)
