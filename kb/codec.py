"""JSON-ready dicts to and from the domain records (for stores and the API).

:func:`from_dict` checks every value against the record's type hints and raises
:class:`TypeError` or :class:`ValueError` naming the field (``citations.0.pmid``), so a value
of the wrong type never becomes a record that breaks a reader later. The editorial workflow
validates submissions more strictly still (unknown fields, codes, forms) in
:mod:`kb.editorial.validate`.
"""

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
    """Rebuild a record of type ``cls`` from :func:`to_dict` output (unknown keys ignored).

    A value of the wrong type raises :class:`TypeError`, an unknown enum value or date
    :class:`ValueError`; the message starts with the field's path.
    """
    return _record(cls, data, "")


def _record(cls: type[T], data: Any, where: str) -> T:
    if not isinstance(data, dict):
        raise TypeError(f"{where or cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)  # type: ignore[arg-type]
    kwargs = {name: _typed(hints[name], data[name], f"{where}{name}") for name in hints if name in data}
    return cls(**kwargs)


@cache
def _hints(cls: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in typing.get_type_hints(cls).items() if k in names}


_SCALARS: dict[type, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float), bool: (bool,)}


def _typed(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _typed(args[0], value, where)
    if value is None:
        raise TypeError(f"{where}: may not be null")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{where}: expected an array, got {type(value).__name__}")
        (item, *_rest) = typing.get_args(hint)
        return tuple(_typed(item, v, f"{where}.{i}") for i, v in enumerate(value))
    if not isinstance(hint, type):
        return value
    if dataclasses.is_dataclass(hint):
        return _record(hint, value, f"{where}.")
    if issubclass(hint, Enum):
        if isinstance(value, hint):
            return value
        if not isinstance(value, str):
            raise TypeError(f"{where}: expected a string, got {type(value).__name__}")
        try:
            return hint(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not one of {', '.join(str(m.value) for m in hint)}") from None
    if hint is date:
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise TypeError(f"{where}: expected an ISO date string, got {type(value).__name__}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not an ISO date") from None
    allowed = _SCALARS.get(hint)
    if allowed is not None and (not isinstance(value, allowed) or (hint is not bool and isinstance(value, bool))):
        raise TypeError(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
    return value
