"""What an optional module (`shopgen new --set modules=...`) plugs into the service.

Its operations are bound like the core's, by operationId (`app/api/handlers.py`); its tables
are registered by importing its package (`app/modules.py` lists the installed ones). Beyond
that a module brings a lifespan (its settings, clients and background jobs, entered after the
core's database, Redis and HTTP client exist), change listeners and order placement listeners
(see `app.core.changes`).
"""

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from fastapi import FastAPI

from app.core.changes import ChangeListener, OrderPlacedListener

# Given the app it serves, or None in a process without one (a cron job).
ListenersOf = Callable[[FastAPI | None], Sequence[ChangeListener]]
PlacedListenersOf = Callable[[FastAPI], Sequence[OrderPlacedListener]]


def _no_listeners(app: FastAPI | None) -> Sequence[ChangeListener]:
    return ()


def _no_placed_listeners(app: FastAPI) -> Sequence[OrderPlacedListener]:
    return ()


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]
    change_listeners: ListenersOf = field(default=_no_listeners)
    # Orders are placed only through the app's API.
    order_placed_listeners: PlacedListenersOf = field(default=_no_placed_listeners)


def change_listeners(modules: Iterable[Module], app: FastAPI | None) -> list[ChangeListener]:
    """What every session must tell about changes: pass it to `create_sessionmaker`."""
    return [listener for module in modules for listener in module.change_listeners(app)]


def order_placed_listeners(modules: Iterable[Module], app: FastAPI) -> list[OrderPlacedListener]:
    """What the app's sessions must tell about new orders: pass it to `create_sessionmaker`."""
    return [listener for module in modules for listener in module.order_placed_listeners(app)]
