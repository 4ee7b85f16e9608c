"""CIViC evidence parsing: the 2021 layout in the shared data, the current layout, and bad rows."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest

from ingest.civic import DiseaseMap, parse_civic
from ingest.records import Rejected
from ingest.sources import open_text
from kb.domain import AlterationKind, Evidence, EvidenceLevel, EvidenceType
from kb.errors import SchemaError
from kb.vocab import authored

FIXTURES = Path(__file__).parent / "fixtures" / "civic"


@pytest.fixture(scope="module")
def diseases() -> DiseaseMap:
    return DiseaseMap.load(authored("civic_disease_oncotree.tsv"))


@pytest.fixture(scope="module")
def civic_2021(data_dir: Path, diseases: DiseaseMap) -> list[Evidence | Rejected]:
    with open_text(data_dir / "civic" / "01-Aug-2021-ClinicalEvidenceSummaries.tsv.gz") as fh:
        return list(parse_civic(fh, diseases))


def test_every_accepted_2021_evidence_item_is_parsed(data_dir: Path, civic_2021: list[Evidence | Rejected]) -> None:
    with gzip.open(data_dir / "civic" / "01-Aug-2021-ClinicalEvidenceSummaries.tsv.gz", "rt") as fh:
        accepted = sum(1 for row in csv.DictReader(fh, delimiter="\t") if row["evidence_status"] == "accepted")
    items = [e for e in civic_2021 if isinstance(e, Evidence)]
    assert len(items) == accepted
    assert len({e.id for e in items}) == accepted


def test_2021_row_fields_are_normalised(civic_2021: list[Evidence | Rejected]) -> None:
    by_id = {e.id: e for e in civic_2021 if isinstance(e, Evidence)}
    first = by_id["civic:EID1"]
    assert (first.gene, first.alteration.id, first.evidence_type, first.level) == (
        "JAK2", "JAK2:V617F", EvidenceType.DIAGNOSTIC, EvidenceLevel.B
    )  # fmt: skip
    assert first.citations[0].pmid == "16081687"
    assert first.last_review is not None and first.last_review.year == 2021


def test_every_civic_disease_is_listed_in_the_oncotree_mapping(
    civic_2021: list[Evidence | Rejected], diseases: DiseaseMap
) -> None:
    from kb.text import name_key

    names = {e.disease for e in civic_2021 if isinstance(e, Evidence)}
    assert names and all(name_key(n) in diseases.known for n in names)


def test_most_evidence_gets_an_oncotree_code(civic_2021: list[Evidence | Rejected]) -> None:
    items = [e for e in civic_2021 if isinstance(e, Evidence)]
    mapped = sum(1 for e in items if e.tumor_code)
    assert mapped / len(items) > 0.75
    nsclc = [e for e in items if e.disease == "Lung Non-small Cell Carcinoma"]
    assert nsclc and all(e.tumor_code == "NSCLC" for e in nsclc)


def test_current_layout_is_read_with_molecular_profile_and_therapies(diseases: DiseaseMap) -> None:
    with (FIXTURES / "current_layout.tsv").open(encoding="utf-8", newline="") as fh:
        records = list(parse_civic(fh, diseases))
    items = {r.id: r for r in records if isinstance(r, Evidence)}
    rejected = {r.key: r.reason for r in records if isinstance(r, Rejected)}
    assert set(items) == {"civic:EID900001", "civic:EID900002"}
    assert items["civic:EID900001"].alteration.id == "EGFR:T790M"
    assert items["civic:EID900001"].tumor_code == "NSCLC"
    assert items["civic:EID900002"].drugs == ("dabrafenib", "trametinib")
    assert items["civic:EID900002"].drug_interaction == "combination"
    assert "evidence_level" in rejected["EID900003"]
    assert "not accepted" in rejected["EID900004"]


def test_a_tsv_missing_a_column_is_refused_with_the_missing_names(diseases: DiseaseMap) -> None:
    text = (FIXTURES / "current_layout.tsv").read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    cut = "\t".join(c for c in header.split("\t") if c != "evidence_level")
    with pytest.raises(SchemaError, match="evidence_level"):
        list(parse_civic(io.StringIO("\n".join([cut, *rows])), diseases))


def test_fusion_and_exon_variants_are_typed(civic_2021: list[Evidence | Rejected]) -> None:
    kinds = {e.alteration.id: e.alteration.kind for e in civic_2021 if isinstance(e, Evidence)}
    assert kinds["EGFR:EXON19DEL"] is AlterationKind.EXON
    assert kinds["ALK:EML4-ALK"] is AlterationKind.FUSION
    assert kinds["ABL1:T315I"] is AlterationKind.PROTEIN_CHANGE
