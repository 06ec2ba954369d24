"""Minor units to what people read: 12345 CNY fen is 123.45 CNY; yen have no minor unit.

ISO 4217 gives each currency its exponent; most have 2, these do not.
"""

ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def major(amount: int, currency: str) -> float:
    return amount / 10.0 ** exponent(currency)


def format_amount(amount: int, currency: str) -> str:
    """`12,345.67 CNY`; exact, from the integer."""
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**digits)
    text = f"{whole:,}"
    if digits:
        text += f".{fraction:0{digits}d}"
    return f"{sign}{text} {currency}"
