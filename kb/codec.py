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
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

__all__ = ["from_dict", "to_dict"]

T = TypeVar("T")


def to_dict(record: object) -> dict[str, Any]:
    """A record as plain JSON types (enums as values, dates and date-times as ISO strings, tuples as lists)."""
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
    decode: Decoder = _decoder(cls)  # type: ignore[arg-type]  # a class is hashable; typeshed says type[T] is not
    return decode(data, where)  # type: ignore[no-any-return]


_SCALARS: dict[type, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float), bool: (bool,)}
Decoder = Callable[[Any, str], Any]  # (value, path of the field) -> the typed value


@cache
def _decoder(hint: Any) -> Decoder:
    """The checking decoder of one type hint, built once (reading the hints on every value was a tenth of a
    search's time): records, optionals, tuples, enums, dates and scalars."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _decoder(next(a for a in typing.get_args(hint) if a is not type(None)))
        return lambda value, where: None if value is None else inner(value, where)
    if origin is tuple:
        item = _decoder(typing.get_args(hint)[0])

        def array(value: Any, where: str) -> Any:
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{where}: {_null_or(value, 'expected an array')}")
            return tuple(item(v, f"{where}.{i}") for i, v in enumerate(value))

        return array
    if not isinstance(hint, type):
        return _not_null
    if dataclasses.is_dataclass(hint):
        return _record_decoder(hint)
    if issubclass(hint, Enum):
        return _enum_decoder(hint)
    if hint is datetime:
        return _datetime
    if hint is date:
        return _date
    allowed = _SCALARS.get(hint)
    if allowed is None:
        return _not_null
    strict_int = hint is not bool

    def scalar(value: Any, where: str) -> Any:
        if not isinstance(value, allowed) or (strict_int and isinstance(value, bool)):
            raise TypeError(f"{where}: {_null_or(value, f'expected {hint.__name__}')}")
        return value

    return scalar


def _record_decoder(cls: type) -> Decoder:
    names = {f.name for f in dataclasses.fields(cls)}
    fields = [(k, _decoder(v)) for k, v in typing.get_type_hints(cls).items() if k in names]

    def record(data: Any, where: str) -> Any:
        if not isinstance(data, dict):
            raise TypeError(f"{where or cls.__name__}: {_null_or(data, 'expected an object')}")
        return cls(**{name: decode(data[name], f"{where}{name}") for name, decode in fields if name in data})

    def field(data: Any, where: str) -> Any:
        if data is None and where:
            raise TypeError(f"{where}: may not be null")
        return record(data, f"{where}." if where else "")

    return field


def _enum_decoder(enum: type[Enum]) -> Decoder:
    def member(value: Any, where: str) -> Any:
        if isinstance(value, enum):
            return value
        if not isinstance(value, str):
            raise TypeError(f"{where}: {_null_or(value, 'expected a string')}")
        try:
            return enum(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not one of {', '.join(str(m.value) for m in enum)}") from None

    return member


def _iso_decoder(cls: type[date], what: str) -> Decoder:
    """The decoder of a date or date-time field: an instance, or its ISO string."""

    def decode(value: Any, where: str) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, str):
            raise TypeError(f"{where}: {_null_or(value, f'expected an ISO {what} string')}")
        try:
            return cls.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not an ISO {what}") from None

    return decode


_date = _iso_decoder(date, "date")
_datetime = _iso_decoder(datetime, "date-time")


def _not_null(value: Any, where: str) -> Any:
    if value is None:
        raise TypeError(f"{where}: may not be null")
    return value


def _null_or(value: Any, expected: str) -> str:
    return "may not be null" if value is None else f"{expected}, got {type(value).__name__}"
