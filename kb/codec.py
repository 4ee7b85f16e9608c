"""JSON-ready dicts to and from the domain records (for stores and the API)."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date
from enum import Enum
from functools import cache
from typing import Any, TypeVar

__all__ = ["from_dict", "to_dict"]

T = TypeVar("T")


def to_dict(record: object) -> dict[str, Any]:
    """A record as plain JSON types (enums as values, dates as ISO strings, tuples as lists)."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"not a record: {record!r}")
    return {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a record of type ``cls`` from :func:`to_dict` output (unknown keys ignored)."""
    hints = _hints(cls)  # type: ignore[arg-type]
    kwargs = {name: _typed(hints[name], data[name]) for name in hints if name in data}
    return cls(**kwargs)


@cache
def _hints(cls: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in typing.get_type_hints(cls).items() if k in names}


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _typed(args[0], value)
    if origin is tuple:
        (item, *_rest) = typing.get_args(hint)
        return tuple(_typed(item, v) for v in value)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return from_dict(hint, value)
        if issubclass(hint, Enum):
            return hint(value)
        if hint is date:
            return date.fromisoformat(value)
    return value
