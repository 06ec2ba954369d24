{% set ctx = cookiecutter._shopgen %}
"""The payment channels this project was generated with (the `payment_channels` answer)."""

CHANNELS: frozenset[str] = frozenset({ {{- ctx.payment_channels | map("tojson") | join(", ") -}} })
