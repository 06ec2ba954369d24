"""Cutting names into words and re-casing them, shared by the path and operation rules.

Suggestions in findings ("use `gift-cards`") come from here, so a rule and its fix agree.
"""

from __future__ import annotations

import re

__all__ = [
    "UNCOUNTABLE",
    "camel",
    "is_plural",
    "kebab",
    "pascal",
    "plural",
    "singular",
    "singulars",
    "words",
]

# Acronyms (`ID`, `SKUs`), Capitalised or lower words, each with trailing digits (`oauth2`).
_WORD = re.compile(r"[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+")

UNCOUNTABLE = frozenset(
    {
        "data",
        "media",
        "people",
        "children",
        "inventory",
        "stock",
        "health",
        "metadata",
        "series",
        "news",
        "feedback",
        "info",
    }
)
"""Collection names that are plural (or mass nouns) without ending in `s`."""


def words(name: str) -> list[str]:
    """Lower-case words of a camel, Pascal, snake or kebab name: `giftCard_ID` → gift card id."""
    return [word.lower() for word in _WORD.findall(name)]


def kebab(name: str) -> str:
    return "-".join(words(name))


def camel(name: str) -> str:
    parts = words(name)
    return parts[0] + pascal("-".join(parts[1:])) if parts else ""


def pascal(name: str) -> str:
    return "".join(word.capitalize() for word in words(name))


def is_plural(word: str) -> bool:
    word = word.lower()
    return word.endswith("s") or word in UNCOUNTABLE


def plural(word: str) -> str:
    """A regular English plural; good enough to suggest a collection name."""
    if is_plural(word):
        return word
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def singulars(word: str) -> set[str]:
    """Every plausible singular of a collection name (`addresses` → addresse, address)."""
    word = word.lower()
    found = {word}
    if word.endswith("ies"):
        found.add(word[:-3] + "y")
    if word.endswith("es"):
        found.add(word[:-2])
    if word.endswith("s"):
        found.add(word[:-1])
    return found


def singular(word: str) -> str:
    """The most likely singular of a collection name, to suggest a name from it."""
    word = word.lower()
    if word in UNCOUNTABLE or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if re.search(r"(ss|x|z|ch|sh)es$", word):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word
