"""The look of the page: shop defaults for ReDoc, overridden by a small YAML file.

```yaml
logo:            # sets info.x-logo: url, altText, backgroundColor, href
  url: https://shop.example/logo.svg
  altText: Example Shop
options:         # ReDoc options, by their ReDoc names
  hideDownloadButton: true
  expandResponses: "200,201,202"
theme:           # ReDoc's theme object, merged over the defaults below
  colors:
    primary:
      main: "#b91c1c"
```
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shopgen.errors import UserError
from shopgen.files import load_yaml

__all__ = ["DEFAULT_OPTIONS", "DEFAULT_THEME", "Theme", "check_logo", "load_theme", "logo_origin"]

_SANS = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif'
)
_MONO = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace'

DEFAULT_THEME: dict[str, Any] = {
    "colors": {"primary": {"main": "#0f766e"}},
    # System fonts: ReDoc's default web fonts would be a request to a font CDN.
    "typography": {
        "fontFamily": _SANS,
        "fontSize": "15px",
        "headings": {"fontFamily": _SANS, "fontWeight": "600"},
        "code": {"fontFamily": _MONO},
    },
    "sidebar": {"width": "280px"},
    "rightPanel": {"backgroundColor": "#1f2933"},
}

DEFAULT_OPTIONS: dict[str, Any] = {
    # A contract's Markdown may carry HTML; ReDoc sanitises it only when told the spec is
    # untrusted. A page anyone can publish from a pull request is exactly that.
    "untrustedSpec": True,
    "expandResponses": "200,201",
    "requiredPropsFirst": True,
    "pathInMiddlePanel": True,
    "jsonSampleExpandLevel": 3,
    "showObjectSchemaExamples": True,
    "expandSingleSchemaField": True,
    "showWebhookVerb": True,
    "menuToggle": True,
}

# ReDoc 2.5 options that take plain data (not functions), by name.
_REDOC_OPTIONS = frozenset(
    {
        "disableSearch",
        "downloadFileName",
        "enumSkipQuotes",
        "expandDefaultServerVariables",
        "expandResponses",
        "expandSingleSchemaField",
        "generatedPayloadSamplesMaxDepth",
        "hideDownloadButton",
        "hideFab",
        "hideHostname",
        "hideLoading",
        "hideOneOfDescription",
        "hideRequestPayloadSample",
        "hideSchemaPattern",
        "hideSchemaTitles",
        "hideSecuritySection",
        "hideSingleRequestSampleTab",
        "ignoreNamedSchemas",
        "jsonSampleExpandLevel",
        "labels",
        "maxDisplayedEnumValues",
        "menuToggle",
        "minCharacterLengthToInitSearch",
        "nativeScrollbars",
        "noAutoAuth",
        "onlyRequiredInSamples",
        "pathInMiddlePanel",
        "payloadSampleIdx",
        "requiredPropsFirst",
        "schemaExpansionLevel",
        "scrollYOffset",
        "showExtensions",
        "showObjectSchemaExamples",
        "showSecuritySchemeType",
        "showWebhookVerb",
        "sideNavStyle",
        "simpleOneOfTypeLabel",
        "sortEnumValuesAlphabetically",
        "sortOperationsAlphabetically",
        "sortPropsAlphabetically",
        "sortTagsAlphabetically",
        "untrustedSpec",
    }
)
_SECTIONS = ("logo", "options", "theme")
_LOGO_KEYS = frozenset({"url", "altText", "backgroundColor", "href"})
_MAX_THEME_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Theme:
    """ReDoc options (with `theme` inside, as `Redoc.init` takes them) and an optional logo."""

    options: dict[str, Any] = field(default_factory=dict)
    logo: dict[str, str] | None = None


def load_theme(path: Path | None) -> Theme:
    """The shop defaults, with the file at `path` merged over them."""
    options = copy.deepcopy(DEFAULT_OPTIONS)
    options["theme"] = copy.deepcopy(DEFAULT_THEME)
    if path is None:
        return Theme(options=options)
    data = _read(path)
    unknown = sorted(str(key) for key in data if key not in _SECTIONS)
    if unknown:
        raise UserError(
            f"unknown key `{unknown[0]}`; a theme file has {', '.join(_SECTIONS)}", path=path
        )
    user_options = _mapping(data.get("options"), "options", path)
    for name, value in user_options.items():
        if name == "theme":
            raise UserError("put `theme` at the top level, not under `options`", path=path)
        if name not in _REDOC_OPTIONS:
            raise UserError(
                f"`options.{name}` is not a ReDoc option this page supports; see "
                "https://redocly.com/docs/redoc/config for the names",
                path=path,
            )
        _check_data(value, f"options.{name}", path)
        options[name] = value
    user_theme = _mapping(data.get("theme"), "theme", path)
    _check_data(user_theme, "theme", path)
    _merge(options["theme"], user_theme)
    logo = None
    if data.get("logo") is not None:
        raw_logo = _mapping(data["logo"], "logo", path)
        extra = sorted(str(key) for key in raw_logo if key not in _LOGO_KEYS)
        if extra:
            raise UserError(
                f"unknown key `logo.{extra[0]}`; a logo has {', '.join(sorted(_LOGO_KEYS))}",
                path=path,
            )
        logo = {str(key): str(value) for key, value in raw_logo.items()}
        check_logo(logo, where=f"{path}: logo")
    return Theme(options=options, logo=logo)


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > _MAX_THEME_BYTES:
            raise UserError("is larger than 1 MiB; a theme file is a few lines", path=path)
    except FileNotFoundError:
        raise UserError("no such file", path=path) from None
    except OSError as error:
        raise UserError(f"cannot read: {error.strerror}", path=path) from None
    data = load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError("must be a mapping with logo, options and theme", path=path)
    return data


def _mapping(value: Any, name: str, path: Path) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(f"`{name}` must be a mapping", path=path)
    return {str(key): item for key, item in value.items()}


def _check_data(value: Any, name: str, path: Path) -> None:
    """Only JSON data reaches the page: no dates, no binary, no non-finite numbers."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UserError(f"`{name}` has a non-string key `{key}`", path=path)
            _check_data(item, f"{name}.{key}", path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_data(item, f"{name}[{index}]", path)
    elif isinstance(value, float) and not math.isfinite(value):
        raise UserError(f"`{name}` is not a finite number", path=path)
    elif not isinstance(value, str | int | float | bool) and value is not None:
        raise UserError(
            f"`{name}` is a {type(value).__name__}; use a string, number or boolean", path=path
        )


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


_LOGO_SCHEMES = {"url": ("http", "https", "data"), "href": ("http", "https")}


def check_logo(logo: dict[str, Any], *, where: str) -> None:
    """ReDoc turns a logo into `<img src>` and `<a href>`: only web links may go there."""
    for key, schemes in _LOGO_SCHEMES.items():
        value = logo.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise UserError(f"{where}: `{key}` must be a string")
        scheme = urlsplit(value.strip()).scheme.lower()
        if scheme and scheme not in schemes:
            raise UserError(
                f"{where}: `{key}` has the scheme `{scheme}:`; a logo takes "
                + ", ".join(f"{s}:" for s in schemes)
                + " or a relative URL"
            )
        if scheme == "data" and not value.strip().lower().startswith("data:image/"):
            raise UserError(f"{where}: `{key}` is a data: URL but not an image")
        if scheme in ("http", "https") and not _HOST.fullmatch(urlsplit(value.strip()).netloc):
            raise UserError(f"{where}: `{key}` has a host that is not a plain host name")


_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")


def logo_origin(logo: Any) -> str | None:
    """The origin a (checked) logo loads from, for the page's image policy; None if local."""
    if not isinstance(logo, dict) or not isinstance(logo.get("url"), str):
        return None
    parts = urlsplit(logo["url"].strip())
    if parts.scheme.lower() in ("http", "https") and _HOST.fullmatch(parts.netloc):
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    return None
