"""The PubMed XML parser on the shared real files and on small authored fixtures."""

from __future__ import annotations

import gc
import gzip
import io
import os
import re
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psutil
import pytest

from ingest.pubmed import parse_pubmed
from ingest.records import DeletedCitation, Rejected
from ingest.sources import open_source, open_text
from kb.domain import Article, ArticleStatus
from kb.errors import ParseError

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("KB_DATA_DIR", REPO.parent / "shared" / "data"))
PUBMED = DATA / "pubmed"
SUBSET = PUBMED / "pubmed21n1298.oncology_subset.xml.gz"
FIXTURES = Path(__file__).parent / "fixtures"
SINGLE_FILES = ["pubmed1.xml", "pubmed2.xml", "pubmed4.xml", "pubmed5.xml", "pubmed6.xml", "pubmed7.xml"]

# Independent of the parser: the PMID directly inside each <MedlineCitation>.
CITATION_PMID = re.compile(rb"<MedlineCitation[^>]*>\s*<PMID[^>]*>(\d+)</PMID>")


def parse_file(path: Path) -> list[Article | DeletedCitation | Rejected]:
    with open_source(path) as stream:
        return list(parse_pubmed(stream, source_name=path.name))


def articles(records: list[Article | DeletedCitation | Rejected]) -> list[Article]:
    return [record for record in records if isinstance(record, Article)]


@pytest.fixture(scope="module")
def subset_xml() -> bytes:
    return gzip.decompress(SUBSET.read_bytes())


@pytest.fixture(scope="module")
def subset_records() -> list[Article | DeletedCitation | Rejected]:
    return parse_file(SUBSET)


@pytest.mark.parametrize("name", SINGLE_FILES)
def test_each_efetch_file_yields_every_citation_in_file_order(name: str) -> None:
    raw = (PUBMED / name).read_bytes()
    records = parse_file(PUBMED / name)

    assert [type(record) for record in records] == [Article] * raw.count(b"<PubmedArticle>")
    assert [a.pmid for a in articles(records)] == [m.decode() for m in CITATION_PMID.findall(raw)]
    assert all(a.title and a.status is ArticleStatus.ACTIVE and a.version == 1 for a in articles(records))


def test_known_efetch_citation_has_its_fields() -> None:
    [article] = articles(parse_file(PUBMED / "pubmed4.xml"))

    assert article.pmid == "27797938"
    assert article.title == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk of pancreatic cancer."
    )
    assert article.abstract.startswith("OBJECTIVE: Telomere shortening occurs as an early event")
    assert "\nDESIGN: We measured prediagnostic leucocyte telomere length" in article.abstract
    assert article.journal == "Gut"
    assert (article.pub_date, article.year) == (date(2017, 6, 1), 2017)
    assert article.doi == "10.1136/gutjnl-2016-312510"
    assert "Pancreatic Neoplasms" in article.mesh_terms and "Telomerase" in article.mesh_terms
    assert len(article.mesh_terms) == 21
    assert article.publication_types[:2] == ("Journal Article", "Observational Study")


def test_season_only_pub_date_gives_the_year_and_doi_comes_from_the_article_ids() -> None:
    first, second = articles(parse_file(PUBMED / "pubmed1.xml"))

    assert (first.pmid, first.year, first.pub_date, first.doi) == ("12091962", 1990, date(1990, 1, 1), "")
    assert first.journal == "Social justice (San Francisco, Calif.)"
    assert second.pmid == "9997"
    assert second.pub_date == date(1976, 9, 28)
    assert second.doi == "10.1016/0005-2795(76)90109-4"


def test_baseline_subset_yields_all_1500_citations(
    subset_xml: bytes, subset_records: list[Article | DeletedCitation | Rejected]
) -> None:
    expected_pmids = [m.decode() for m in CITATION_PMID.findall(subset_xml)]

    assert len(expected_pmids) == subset_xml.count(b"<PubmedArticle>") == 1500
    assert [type(record) for record in subset_records] == [Article] * 1500
    assert [a.pmid for a in articles(subset_records)] == expected_pmids


def test_baseline_subset_known_citations(subset_records: list[Article | DeletedCitation | Rejected]) -> None:
    by_pmid = {a.pmid: a for a in articles(subset_records)}

    first = by_pmid["31228537"]
    assert first.title.startswith("Correlation between magnetic resonance imaging characteristics and BRAF")
    assert first.abstract.startswith("BACKGROUND AND PURPOSE: Most individuals with optic pathway")
    assert "\nCONCLUSIONS: The BRAF alteration status" in first.abstract
    assert first.journal == "Journal of neuroradiology = Journal de neuroradiologie"
    assert (first.pub_date, first.year) == (date(2021, 6, 1), 2021)
    assert first.doi == "10.1016/j.neurad.2019.05.006"  # from ELocationID

    markup = by_pmid["33684223"]  # title has PD-1<sup>+</sup>
    assert "deplete PD-1+ T cells present" in markup.title
    assert "<" not in markup.title

    italic = by_pmid["33685992"]  # title has <i>FGFR1</i>
    assert "Therapy for FGFR1-Amplified Lung Cancer." in italic.title

    medline_date = by_pmid["29615369"]  # <MedlineDate>2018 Jul-Aug</MedlineDate>
    assert (medline_date.year, medline_date.pub_date) == (2018, date(2018, 7, 1))


def test_update_file_yields_articles_then_one_deletion_per_pmid() -> None:
    records = parse_file(FIXTURES / "pubmed_update.xml")

    assert [a.pmid for a in articles(records)] == ["90000101", "90000102"]
    assert records[2:] == [DeletedCitation("90000001"), DeletedCitation("90000002"), DeletedCitation("90000003")]
    assert articles(records)[0].pub_date == date(2020, 3, 15)
    assert articles(records)[1].pub_date == date(2021, 1, 1)


def test_two_versions_of_one_pmid_are_both_yielded_in_file_order() -> None:
    records = parse_file(FIXTURES / "pubmed_versions.xml")

    assert [(a.pmid, a.version, a.title) for a in articles(records)] == [
        ("90000201", 1, "Placeholder living review, first version."),
        ("90000201", 2, "Placeholder living review, second version."),
    ]
    assert len(records) == 2


def test_citations_without_pmid_or_title_are_rejected_and_parsing_goes_on() -> None:
    records = parse_file(FIXTURES / "pubmed_edge_cases.xml")

    assert [type(record).__name__ for record in records] == [
        "Article",
        "Rejected",
        "Rejected",
        "Article",
        "Article",
    ]
    no_pmid, no_title = records[1], records[2]
    assert no_pmid == Rejected("pubmed", "article #2", "citation has no MedlineCitation/PMID")
    assert isinstance(no_title, Rejected)
    assert (no_title.source, no_title.key) == ("pubmed", "90000303")
    assert "title" in no_title.reason


def test_markup_labels_medline_dates_and_doi_preference() -> None:
    first, _, _, electronic, numeric = parse_file(FIXTURES / "pubmed_edge_cases.xml")

    assert isinstance(first, Article)
    assert first.title == "Placeholder GENE1 V600E and PD-L1+ cells in H2O."
    assert first.abstract == (
        "BACKGROUND: Placeholder background with italic text.\n"
        "RESULTS: Placeholder results.\n"
        "Placeholder unlabelled closing sentence."
    )
    assert (first.year, first.pub_date) == (2019, date(2019, 11, 1))  # MedlineDate "2019 Nov-Dec"
    assert first.doi == "10.9999/placeholder.301"  # ELocationID wins over ArticleIdList
    assert first.mesh_terms == ("Humans", "Lung Neoplasms")
    assert first.publication_types == ("Journal Article", "Randomized Controlled Trial")

    assert isinstance(electronic, Article)
    assert (electronic.year, electronic.pub_date) == (2017, date(2017, 5, 9))  # from ArticleDate
    assert electronic.journal == "Placeholder Abbr J"  # ISOAbbreviation fallback
    assert electronic.doi == ""  # a reference's DOI is not the article's

    assert isinstance(numeric, Article)
    assert numeric.pub_date == date(2016, 5, 31)
    assert numeric.doi == "10.9999/placeholder.305"


def test_truncated_xml_yields_what_came_before_then_one_reject(tmp_path: Path, subset_xml: bytes) -> None:
    cut = subset_xml[: len(subset_xml) // 2]
    path = tmp_path / "cut.xml"
    path.write_bytes(cut)

    records = parse_file(path)

    complete = cut.count(b"</PubmedArticle>")
    assert complete > 500
    assert [type(record) for record in records] == [Article] * complete + [Rejected]
    assert [a.pmid for a in articles(records)] == [m.decode() for m in CITATION_PMID.findall(cut)][:complete]
    reject = records[-1]
    assert isinstance(reject, Rejected)
    assert reject.source == "pubmed"
    assert re.fullmatch(r"cut\.xml:line \d+", reject.key)
    assert reject.reason.startswith("truncated or malformed XML: ")


def test_truncated_gzip_yields_every_complete_citation_then_one_reject(tmp_path: Path) -> None:
    compressed = SUBSET.read_bytes()[: SUBSET.stat().st_size // 2]
    available = zlib.decompressobj(wbits=31).decompress(compressed)
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(compressed)

    records = parse_file(path)

    complete = available.count(b"</PubmedArticle>")
    assert [type(record) for record in records] == [Article] * complete + [Rejected]
    reject = records[-1]
    assert isinstance(reject, Rejected)
    assert reject.key.startswith("cut.xml.gz:line ")
    assert "compressed stream" in reject.reason


@pytest.mark.parametrize("content", [b"PMID\tTitle\n123\tnot xml at all\n", b""], ids=["text", "empty"])
def test_a_file_that_is_not_xml_gives_exactly_one_reject(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)

    records = parse_file(path)

    assert len(records) == 1
    assert isinstance(records[0], Rejected)
    assert records[0].key == "notes.txt:line 1"
    assert records[0].reason.startswith("truncated or malformed XML: ")


def test_gz_name_with_plain_bytes_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "pubmed.xml.gz"
    path.write_bytes((PUBMED / "pubmed7.xml").read_bytes())

    with pytest.raises(ParseError, match="is not a gzip file"):
        open_source(path)


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        open_source(tmp_path / "absent.xml.gz")


def test_gzip_is_detected_by_content_not_name(tmp_path: Path, subset_xml: bytes) -> None:
    path = tmp_path / "baseline.bin"
    path.write_bytes(gzip.compress(subset_xml[:200]))

    with open_source(path) as stream:
        assert stream.read() == subset_xml[:200]


def test_open_text_reads_utf8_through_gzip_and_drops_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "genes.tsv.gz"
    path.write_bytes(gzip.compress("\ufeffsymbol\tname_zh\nEGFR\t表皮生长因子受体\n".encode()))

    with open_text(path) as text:
        assert text.read().splitlines() == ["symbol\tname_zh", "EGFR\t表皮生长因子受体"]


class _CountingReader(io.RawIOBase):
    """Counts how far the parser has read into the underlying bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = self._data.readinto(buffer)
        self.consumed += size
        return size


def test_parser_streams_instead_of_reading_the_whole_file(subset_xml: bytes) -> None:
    reader = _CountingReader(subset_xml)
    records = parse_pubmed(io.BufferedReader(reader))

    first = next(records)

    assert isinstance(first, Article) and first.pmid == "31228537"
    assert reader.consumed < len(subset_xml) // 20


class _SyntheticBaseline(io.RawIOBase):
    """A large baseline-like document generated on the fly, never held in memory."""

    def __init__(self, count: int) -> None:
        self._chunks = self._generate(count)
        self._pending = b""

    @staticmethod
    def _generate(count: int) -> Iterator[bytes]:
        filler = ("Placeholder abstract sentence for a memory test. " * 60).encode()
        yield b'<?xml version="1.0"?>\n<PubmedArticleSet>\n'
        for n in range(count):
            yield (
                b'<PubmedArticle><MedlineCitation><PMID Version="1">%d</PMID><Article>'
                b"<Journal><Title>Placeholder</Title></Journal>"
                b"<ArticleTitle>Placeholder title %d</ArticleTitle>"
                b"<Abstract><AbstractText>%s</AbstractText></Abstract>"
                b"</Article></MedlineCitation></PubmedArticle>\n" % (n + 1, n + 1, filler)
            )
        yield b"</PubmedArticleSet>\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@pytest.mark.slow
def test_memory_stays_flat_on_a_30000_citation_file() -> None:
    count = 30_000  # about 90 MB of XML
    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    peak = before
    seen = 0
    for record in parse_pubmed(io.BufferedReader(_SyntheticBaseline(count))):
        assert isinstance(record, Article)
        seen += 1
        if seen % 1000 == 0:
            peak = max(peak, process.memory_info().rss)

    assert seen == count
    # A tree kept whole would cost several hundred MB; a streamed one a few MB.
    assert peak - before < 60 * 1024 * 1024
