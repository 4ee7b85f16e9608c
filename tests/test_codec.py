"""The record codec: round trips, and every wrong value refused with the path of its field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kb.codec import from_dict, to_dict
from kb.domain import Alteration, AlterationKind, Citation, Evidence, EvidenceLevel
from tests.records import evidence


def _item() -> dict[str, Any]:
    return to_dict(
        evidence(
            1,
            alteration=Alteration("EGFR", AlterationKind.PROTEIN_CHANGE, "T790M", label="T790M"),
            rating=4,
            citations=(Citation(pmid="15737014"),),
            statement="",
            last_review=date(2024, 5, 1),
        )
    )


def test_a_record_round_trips_with_its_types() -> None:
    item = from_dict(Evidence, _item())
    assert item.level is EvidenceLevel.B and item.last_review == date(2024, 5, 1)
    assert item.citations == (Citation(pmid="15737014"),) and item.drugs == ("gefitinib",)
    assert to_dict(item) == _item()


@pytest.mark.parametrize(
    ("path", "value", "error", "message"),
    [
        (("citations", 0, "pmid"), 15737014, TypeError, "citations.0.pmid: expected str, got int"),
        (("citations", 0), None, TypeError, "citations.0: may not be null"),
        (("citations",), "15737014", TypeError, "citations: expected an array, got str"),
        (("alteration",), None, TypeError, "alteration: may not be null"),
        (("alteration", "kind"), "typo", ValueError, "alteration.kind: 'typo' is not one of"),
        (("alteration",), [], TypeError, "alteration.: expected an object, got list"),
        (("level",), 2, TypeError, "level: expected a string, got int"),
        (("last_review",), "2024-13-01", ValueError, "last_review: '2024-13-01' is not an ISO date"),
        (("rating",), True, TypeError, "rating: expected int, got bool"),
        (("gene",), None, TypeError, "gene: may not be null"),
    ],
)
def test_a_wrong_value_is_refused_with_its_path(
    path: tuple[Any, ...], value: object, error: type[Exception], message: str
) -> None:
    data = _item()
    inner: Any = data
    for step in path[:-1]:
        inner = inner[step]
    inner[path[-1]] = value
    with pytest.raises(error) as raised:
        from_dict(Evidence, data)
    assert str(raised.value).startswith(message)


def test_optional_values_may_be_null_and_a_top_level_non_object_is_named() -> None:
    data = _item() | {"rating": None, "tumor_code": None, "last_review": None}
    item = from_dict(Evidence, data)
    assert (item.rating, item.tumor_code, item.last_review) == (None, None, None)
    with pytest.raises(TypeError, match=r"^Evidence: expected an object, got list"):
        from_dict(Evidence, [])  # type: ignore[arg-type]
