"""genekb's evidence levels in OncoKB's level vocabulary (docs/annotate.md, "The level crosswalk").

OncoKB's clients read only its codes (``LEVEL_1`` … ``LEVEL_4``, ``LEVEL_R1``/``R2``, ``LEVEL_Dx1``–``Dx3``,
``LEVEL_Px1``–``Px3``) and drop anything else, so partner answers carry one of them beside genekb's own level.
The mapping is a clinical claim and is kept conservative; these are **genekb levels written in OncoKB's
vocabulary, not OncoKB's curation**. Sources of the definitions:

* CIViC evidence levels A–E: https://civic.readthedocs.io/en/latest/model/evidence/level.html
  (A validated, B clinical, C case study, D preclinical, E inferential); genekb's own curated evidence
  uses the same five levels.
* OncoKB levels of evidence (therapeutic, diagnostic, prognostic): https://www.oncokb.org/levels
  (Chakravarty et al. 2017, JCO Precision Oncology, PMID 28890946).

The rules, for a statement whose items *support* it (items that do not support it give no level):

* **Sensitivity**, in the asked tumor or its OncoTree family: A with a CIViC assertion stating an FDA
  approval → LEVEL_1; other A → LEVEL_2; B → LEVEL_3A; C and D → LEVEL_4; E → none.
  In another tumor type: A and B → LEVEL_3B; C and D → LEVEL_4; E → none.
* **Resistance** (and reduced sensitivity, at most R2), in the asked tumor or its family: A → LEVEL_R1;
  B and C → LEVEL_R2; D and E → none. In another tumor type: A and B → LEVEL_R2; others none.
* **Diagnostic**, asked tumor or family only: A → LEVEL_Dx2; B and C → LEVEL_Dx3.
  (Dx1, "required for diagnosis", is never claimed.)
* **Prognostic**, asked tumor or family only: A → LEVEL_Px2; B and C → LEVEL_Px3.
  (Px1, "guideline-recognised on well-powered studies", is never claimed.)
* With no tumor asked, there is no "other" tumor type: each statement gets the level of its own tumor,
  which every answer names beside it (``levelAssociatedCancerType``), as OncoKB answers without a tumor type.
* Adverse response, predisposing, oncogenic and functional evidence get no OncoKB level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kb.domain import EvidenceLevel, EvidenceType
from kb.ordering import Relation
from kb.summaries import Statement

__all__ = [
    "DIAGNOSTIC",
    "PROGNOSTIC",
    "RESISTANCE",
    "SENSITIVE",
    "MappedLevel",
    "best",
    "level_rank",
    "oncokb_level",
]

SENSITIVE = ("LEVEL_1", "LEVEL_2", "LEVEL_3A", "LEVEL_3B", "LEVEL_4")  # best first
RESISTANCE = ("LEVEL_R1", "LEVEL_R2")
DIAGNOSTIC = ("LEVEL_Dx1", "LEVEL_Dx2", "LEVEL_Dx3")
PROGNOSTIC = ("LEVEL_Px1", "LEVEL_Px2", "LEVEL_Px3")
# one order over every code, as OncoKB ranks them: standard care (1, R1, 2) before clinical and biological
# evidence, investigational resistance last among therapy, then diagnostic and prognostic levels
_ORDER = {
    code: i
    for i, code in enumerate(
        ("LEVEL_1", "LEVEL_R1", "LEVEL_2", "LEVEL_3A", "LEVEL_3B", "LEVEL_4", "LEVEL_R2", *DIAGNOSTIC, *PROGNOSTIC)
    )
}

_A, _B, _C, _D = EvidenceLevel.A, EvidenceLevel.B, EvidenceLevel.C, EvidenceLevel.D
_SENSITIVE_HERE = {_A: "LEVEL_2", _B: "LEVEL_3A", _C: "LEVEL_4", _D: "LEVEL_4"}
_SENSITIVE_ELSEWHERE = {_A: "LEVEL_3B", _B: "LEVEL_3B", _C: "LEVEL_4", _D: "LEVEL_4"}
_RESISTANT_HERE = {_A: "LEVEL_R1", _B: "LEVEL_R2", _C: "LEVEL_R2"}
_RESISTANT_ELSEWHERE = {_A: "LEVEL_R2", _B: "LEVEL_R2"}
_DIAGNOSTIC_HERE = {_A: "LEVEL_Dx2", _B: "LEVEL_Dx3", _C: "LEVEL_Dx3"}
_PROGNOSTIC_HERE = {_A: "LEVEL_Px2", _B: "LEVEL_Px3", _C: "LEVEL_Px3"}
_RESISTANT = ("resistance", "reduced_sensitivity")


@dataclass(frozen=True, slots=True)
class MappedLevel:
    """An OncoKB-style code and the genekb level it came from."""

    code: str  # LEVEL_3A
    level: EvidenceLevel  # genekb's own (A-E)
    kind: str  # sensitive | resistance | diagnostic | prognostic


def oncokb_level(statement: Statement) -> MappedLevel | None:
    """The statement's level in OncoKB's vocabulary by the rules above, or ``None`` when none applies."""
    if statement.direction not in ("supports", "mixed"):
        return None
    level = statement.best_level
    here = statement.relation is not Relation.OTHER  # ANY: no tumor asked, the level of its own
    kind = statement.evidence_type
    if kind is EvidenceType.PREDICTIVE and statement.significance == "sensitivity":
        if here and level is _A and any(a.regulatory_approval for a in statement.assertions):
            return MappedLevel("LEVEL_1", level, "sensitive")
        code = (_SENSITIVE_HERE if here else _SENSITIVE_ELSEWHERE).get(level)
        return MappedLevel(code, level, "sensitive") if code else None
    if kind is EvidenceType.PREDICTIVE and statement.significance in _RESISTANT:
        code = (_RESISTANT_HERE if here else _RESISTANT_ELSEWHERE).get(level)
        if code and statement.significance == "reduced_sensitivity":
            code = "LEVEL_R2"
        return MappedLevel(code, level, "resistance") if code else None
    if here and kind is EvidenceType.DIAGNOSTIC:
        code = _DIAGNOSTIC_HERE.get(level)
        return MappedLevel(code, level, "diagnostic") if code else None
    if here and kind is EvidenceType.PROGNOSTIC:
        code = _PROGNOSTIC_HERE.get(level)
        return MappedLevel(code, level, "prognostic") if code else None
    return None


def level_rank(code: str) -> int:
    """A code's place in OncoKB's order of levels: LEVEL_1, R1, 2, 3A, 3B, 4, R2, then Dx1-3 and Px1-3."""
    return _ORDER[code]


def best(levels: Iterable[MappedLevel | None], kind: str) -> MappedLevel | None:
    """The highest mapped level of one kind (LEVEL_1 before LEVEL_2 …), or ``None``."""
    found = [m for m in levels if m is not None and m.kind == kind]
    return min(found, key=lambda m: _ORDER[m.code], default=None)
