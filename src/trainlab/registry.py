"""A small name → factory registry with metadata, shared by losses, activations and optimizers."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class UnknownNameError(LookupError):
    """A name that is not registered; the message lists every registered name."""


class DuplicateNameError(ValueError):
    """A name (or alias) registered twice in the same registry."""


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered option: its canonical name, factory and metadata."""

    name: str
    factory: Callable[..., T]
    info: Any = None


class Registry(Generic[T]):
    """Maps names to factories. ``kind`` names what is registered, for error messages."""

    def __init__(self, kind: str, plural: str | None = None) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self, name: str, *, aliases: tuple[str, ...] = (), info: Any = None
    ) -> Callable[[F], F]:
        """Decorator registering a class or function under ``name`` (and ``aliases``)."""

        def decorator(factory: F) -> F:
            for key in (name, *aliases):
                if key in self._entries or key in self._aliases:
                    raise DuplicateNameError(f"{self.kind} {key!r} is already registered")
            self._entries[name] = Entry(name=name, factory=factory, info=info)
            for alias in aliases:
                self._aliases[alias] = name
            return factory

        return decorator

    def names(self) -> list[str]:
        """Canonical registered names, sorted."""
        return sorted(self._entries)

    def aliases(self, name: str) -> list[str]:
        """Aliases that resolve to the canonical ``name``."""
        return sorted(alias for alias, target in self._aliases.items() if target == name)

    def get(self, name: str) -> Entry[T]:
        """The entry for ``name`` or an alias of it; unknown names list the choices."""
        canonical = self._aliases.get(name, name)
        if canonical not in self._entries:
            raise UnknownNameError(self._unknown_message(name))
        return self._entries[canonical]

    def build(self, name: str, **kwargs: Any) -> T:
        """Call the factory registered as ``name`` with ``kwargs``."""
        return self.get(name).factory(**kwargs)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def _unknown_message(self, name: str) -> str:
        known = [*self._entries, *self._aliases]
        message = (
            f"Unknown {self.kind} {name!r}. Registered {self.plural}: {', '.join(sorted(known))}."
        )
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            message += f" Did you mean {close[0]!r}?"
        return message
