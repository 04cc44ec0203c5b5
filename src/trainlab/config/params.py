"""Typing a config section by the signature of the factory it will be passed to.

A new loss, activation or optimizer needs no hand-written schema: the keyword parameters of
its class (or function) become an OmegaConf structured config, so ``optimizer.lr=abc`` or
``loss.reductoin=sum`` fails before training with OmegaConf's message, the section's name and
the parameters the factory accepts.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Optional, Union

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from trainlab.errors import ConfigError

# OmegaConf 2.3 checks `Optional[X]` built at runtime; it does not accept `X | None`.
# ruff: noqa: UP045

_PRIMITIVES = (bool, int, float, str)


def check_params(
    section: str,
    factory: Callable[..., Any],
    params: Mapping[str, Any] | DictConfig,
    injected: Collection[str] = (),
) -> dict[str, Any]:
    """Validate ``params`` against ``factory``'s keyword parameters; return them typed.

    ``injected`` names parameters trainlab passes itself (an optimizer's ``params``, a model's
    ``input_shape``); a config may not set them.
    """
    schema, accepts_any, defaults = _schema_config(factory, tuple(injected))
    given = (
        OmegaConf.to_container(params, resolve=True) if isinstance(params, DictConfig) else params
    )
    for key in given:
        if key in injected:
            raise ConfigError(f"{section}.{key} is set by trainlab and cannot be configured")
    known = {f.name for f in dataclasses.fields(schema)}
    extra = {k: v for k, v in given.items() if accepts_any and k not in known}
    checked = {k: v for k, v in given.items() if k not in extra}
    try:
        typed = OmegaConf.merge(defaults, checked)
        values = OmegaConf.to_container(typed, resolve=True)
    except OmegaConfBaseException as error:
        raise ConfigError(_describe(section, factory, schema, error)) from None
    return {**values, **extra}


@functools.cache
def _schema_config(
    factory: Callable[..., Any], exclude: tuple[str, ...]
) -> tuple[type, bool, DictConfig]:
    """:func:`params_schema` and its structured config (read-only), built once per factory: a
    few milliseconds a section that every job of a sweep would otherwise spend again."""
    schema, accepts_any = params_schema(factory, exclude)
    config = OmegaConf.structured(schema)
    OmegaConf.set_readonly(config, True)
    return schema, accepts_any, config


def params_schema(factory: Callable[..., Any], exclude: Collection[str] = ()) -> tuple[type, bool]:
    """A dataclass of ``factory``'s keyword parameters, and whether it also takes ``**kwargs``."""
    signature = inspect.signature(factory)
    hints = _type_hints(factory)
    fields = []
    accepts_any = False
    for name, parameter in signature.parameters.items():
        if parameter.kind is parameter.VAR_KEYWORD:
            accepts_any = True
            continue
        if parameter.kind is parameter.VAR_POSITIONAL or name in exclude or name == "self":
            continue
        fields.append(_field(name, hints.get(name, Any), parameter.default))
    schema = dataclasses.make_dataclass(f"{_name(factory)}Params", fields)
    return schema, accepts_any


def _field(name: str, hint: Any, default: Any) -> tuple[str, Any, Any]:
    annotation = _omegaconf_type(hint)
    if default is inspect.Parameter.empty:
        return name, annotation, dataclasses.field(default=MISSING)
    if isinstance(default, (list, tuple)):
        return name, annotation, dataclasses.field(default_factory=functools.partial(list, default))
    if default is not None and not isinstance(default, _PRIMITIVES):
        return name, Any, dataclasses.field(default=None)
    if annotation is not Any and default is None:
        annotation = Optional[annotation]
    return name, annotation, dataclasses.field(default=default)


def _omegaconf_type(hint: Any) -> Any:
    """Map a Python annotation to one OmegaConf 2.3 can check, or ``Any``."""
    if hint in _PRIMITIVES:
        return hint
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if len(members) == 1:
            inner = _omegaconf_type(members[0])
            return Any if inner is Any else Optional[inner]
        # e.g. Union[float, Tensor] for a learning rate: a config can only hold the float.
        primitives = {m for m in members if m in _PRIMITIVES}
        if primitives == {int, float}:
            return float
        return primitives.pop() if len(primitives) == 1 else Any
    if origin in (list, tuple, Sequence, typing.Sequence, Collection):
        inner = [a for a in args if a is not Ellipsis]
        element = _omegaconf_type(inner[0]) if len(set(inner)) == 1 else Any
        return list[element] if element is not Any else list[Any]
    return Any


def _type_hints(factory: Callable[..., Any]) -> dict[str, Any]:
    target = factory.func if isinstance(factory, functools.partial) else factory
    target = target.__init__ if inspect.isclass(target) else target
    try:
        return typing.get_type_hints(target)
    except Exception:  # unresolvable forward references: fall back to untyped
        return {}


def _name(factory: Callable[..., Any]) -> str:
    target = factory.func if isinstance(factory, functools.partial) else factory
    return getattr(target, "__name__", type(target).__name__)


def _describe(section: str, factory: Callable[..., Any], schema: type, error: Exception) -> str:
    key = getattr(error, "key", None)
    reason = str(error).splitlines()[0]
    where = f"{section}.{key}" if key else section
    accepted = ", ".join(f"{f.name}: {_type_label(f.type)}" for f in dataclasses.fields(schema))
    return f"Invalid {where}: {reason}. {_name(factory)} accepts: {accepted}."


def _type_label(annotation: Any) -> str:
    if annotation is Any:
        return "any"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")
