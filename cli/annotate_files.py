"""The file side of ``kb annotate``: tables in, one query per row, annotated tables out (docs/cli.md).

Files are tab-separated with ``#`` comment lines before the header, in the column conventions of
oncokb-annotator; column names are matched case-insensitively:

* **MAF**: ``Hugo_Symbol`` (or ``Entrez_Gene_Id``), a protein change from ``HGVSp_Short``, ``HGVSp``,
  ``Protein_Change``, ``Amino_Acid_Change`` or ``ALTERATION`` (the first one filled), ``Variant_Classification``
  (echoed), ``Tumor_Sample_Barcode``, ``NCBI_Build``; a row with no protein change is sent as its genomic change
  (``Chromosome``, ``Start_Position``, ``End_Position``, ``Reference_Allele``, ``Tumor_Seq_Allele2``).
* **CNA matrix** (GISTIC-like): ``Hugo_Symbol``, optional ``Entrez_Gene_Id`` and ``Cytoband``, then one column
  per sample holding -2 … 2; -2 is annotated as Deletion and 2 as Amplification, and the output is the individual
  format (one row per sample and gene). Shallow changes (-1, 1) and 0 are not written out, as oncokb-annotator.
* **Individual CNA / alteration list**: ``Tumor_Sample_Barcode``, ``Hugo_Symbol``, ``ALTERATION`` (or
  ``Copy_Number_Alteration``) holding a word (Amplification, Deletion, V600E …) or a GISTIC value.
* **Fusions**: ``Tumor_Sample_Barcode`` and ``Fusion`` (``EML4-ALK``, ``EML4::ALK``, ``CD74-ROS1 fusion``), or the
  structural-variant pair ``Site1_Hugo_Symbol`` / ``Site2_Hugo_Symbol``.

A row's tumor is its sample's code in ``--clinical`` (``SAMPLE_ID``, ``ONCOTREE_CODE``), else the row's own
``ONCOTREE_CODE`` or ``CANCER_TYPE``, else ``--tumor``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kb.crosswalk import RESISTANCE, SENSITIVE, level_rank
from kb.errors import DataError

__all__ = ["COLUMNS", "KINDS", "Job", "Summary", "build_job", "read_clinical", "read_table", "summarise", "write_job"]

KINDS = ("maf", "cna", "fusion")
Query = dict[str, str]  # one item of POST /v1/annotate
Answer = dict[str, Any]  # one annotation of its answer
_EMPTY = frozenset({"", "NA", "N/A", "NAN", "NULL", "NONE", ".", "-"})
_GENE = ("HUGO_SYMBOL", "HUGO_GENE_SYMBOL", "GENE")
_PROTEIN = ("HGVSP_SHORT", "HGVSP", "PROTEIN_CHANGE", "AMINO_ACID_CHANGE", "ALTERATION")
_SAMPLE = ("TUMOR_SAMPLE_BARCODE", "SAMPLE_ID")
_TUMOR = ("ONCOTREE_CODE", "CANCER_TYPE")
_CNA = ("ALTERATION", "COPY_NUMBER_ALTERATION", "CNA")
_GENOMIC = ("CHROMOSOME", "START_POSITION", "END_POSITION", "REFERENCE_ALLELE")
_GISTIC = {"-2": "Deletion", "-1.5": "Deletion", "2": "Amplification"}  # the values annotated (oncokb-annotator's)
_SHALLOW = frozenset({"-1", "0", "1"})
_BUILDS = {"37": "GRCh37", "GRCH37": "GRCh37", "HG19": "GRCh37", "38": "GRCh38", "GRCH38": "GRCh38", "HG38": "GRCh38"}
_MAX_CELL = 200  # the longest field /v1/annotate takes

_THERAPY = (*SENSITIVE, *RESISTANCE)
_KINDS = ("sensitive", "resistance", "diagnostic", "prognostic")  # the highest_*_level of an annotation
#: The columns added to every row, with what they hold (written into the output's header as # lines).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("GENE_IN_GENEKB", "TRUE when genekb knows the gene (HGNC symbol, previous symbol, alias or Entrez id)"),
    ("VARIANT_IN_GENEKB", "TRUE when curated evidence is about exactly this variant (not only its gene)"),
    ("GENEKB_GENE", "the HGNC symbol the row was read as"),
    ("GENEKB_VARIANT", "the normalised variant (EGFR:L858R, ALK:EML4-ALK, ERBB2:AMPLIFICATION) or biomarker id"),
    ("GENEKB_TUMOR", "the OncoTree code the levels are for (--clinical, else the row's ONCOTREE_CODE, else --tumor)"),
    ("HIGHEST_LEVEL", "the highest therapeutic level in OncoKB's order (LEVEL_1, R1, 2, 3A, 3B, 4, R2)"),
    ("HIGHEST_SENSITIVE_LEVEL", "the highest of LEVEL_1 … LEVEL_4"),
    ("HIGHEST_RESISTANCE_LEVEL", "the highest of LEVEL_R1, LEVEL_R2"),
    ("HIGHEST_DX_LEVEL", "the highest diagnostic level (LEVEL_Dx2, LEVEL_Dx3)"),
    ("HIGHEST_PX_LEVEL", "the highest prognostic level (LEVEL_Px2, LEVEL_Px3)"),
    *((code, "treatments at this level, comma-separated; drugs given together joined by +") for code in _THERAPY),
    ("TX_CITATIONS", "PMIDs of the evidence behind the leveled treatments, ;-separated"),
    ("GENEKB_LEVELS", "genekb's own level (A-E) behind each highest level: sensitive:A;resistance:B;..."),
    ("TESTS", "ids of company test items that can detect the variant: PRODUCT SUGGESTIONS, not evidence"),
    ("ANNOTATION_PROBLEMS", "why (part of) the row could not be answered, field:reason;... (e.g. gene:unknown_gene)"),
)
NAMES = tuple(name for name, _ in COLUMNS)


@dataclass
class Table:
    path: Path
    comments: list[str]
    header: list[str]
    rows: list[list[str]]
    lines: list[int]  # the line number of each row, for messages

    def col(self, *names: str) -> int | None:
        """The index of the first of ``names`` the header has (case-insensitive)."""
        upper = [h.upper() for h in self.header]
        return next((upper.index(n) for n in names if n in upper), None)


@dataclass
class Job:
    """What to send and what to write: one query (or a local problem) per output row."""

    kind: str  # maf | cna | cna-matrix | fusion
    comments: list[str]
    header: list[str]
    rows: list[list[str]]
    queries: list[Query | None] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # a row's own problem ("" none), field:reason


def read_table(path: Path) -> Table:
    """A tab-separated file: ``#`` lines before the header are kept as comments; blank lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{path}: {exc.strerror}") from None
    comments: list[str] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        if header is None and line.startswith("#"):
            comments.append(line)
        elif not line.strip():
            continue
        elif header is None:
            header = [cell.strip() for cell in line.split("\t")]
            if len(header) < 2:
                raise DataError(f"{path}: line {number}: the header has one column; is the file tab-separated?")
            doubled = sorted({h for h in header if [x.upper() for x in header].count(h.upper()) > 1})
            if doubled:
                raise DataError(f"{path}: line {number}: column(s) named twice: {', '.join(doubled)}")
        else:
            cells = line.split("\t")
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                raise DataError(f"{path}: line {number}: {len(cells)} cells, but the header has {len(header)}")
            rows.append([c.strip() for c in cells[: len(header)]] + [""] * (len(header) - len(cells)))
            lines.append(number)
    if header is None:
        raise DataError(f"{path}: no header line (the file is empty or holds only # comments)")
    return Table(path, comments, header, rows, lines)


def read_clinical(path: Path) -> dict[str, str]:
    """Sample id -> OncoTree code from a clinical file (``SAMPLE_ID``, ``ONCOTREE_CODE``)."""
    table = read_table(path)
    sample, code = table.col(*_SAMPLE), table.col(*_TUMOR)
    if sample is None or code is None:
        raise DataError(f"{path}: a clinical file needs SAMPLE_ID and ONCOTREE_CODE columns; it has {_names(table)}")
    tumors: dict[str, str] = {}
    for row, number in zip(table.rows, table.lines, strict=True):
        if _empty(row[sample]) or _empty(row[code]):
            continue
        if tumors.get(row[sample], row[code]) != row[code]:
            raise DataError(f"{path}: line {number}: sample {row[sample]} has two codes, {tumors[row[sample]]} and "
                            f"{row[code]}")  # fmt: skip
        tumors[row[sample]] = row[code]
    return tumors


def build_job(
    table: Table, kind: str, tumors: dict[str, str], default_tumor: str, reference_genome: str = "GRCh37"
) -> Job:
    """The queries of ``table`` read as ``kind`` (``auto``: told by its columns)."""
    kind = _detect(table) if kind == "auto" else kind
    if kind == "cna":
        kind = "cna" if table.col(*_CNA) is not None else "cna-matrix"
    job = Job(kind, table.comments, table.header, [])
    sample = table.col(*_SAMPLE)
    own = table.col(*_TUMOR)

    def tumor(row: list[str]) -> str:
        found = _clinical(tumors, row[sample] if sample is not None else "")
        if found:
            return found
        return row[own] if own is not None and not _empty(row[own]) else default_tumor

    if kind == "maf":
        _maf(table, job, tumor, reference_genome)
    elif kind == "fusion":
        _fusions(table, job, tumor)
    elif kind == "cna":
        _require(table, kind, _GENE, ("HUGO_SYMBOL", "ALTERATION"))
        gene, value = table.col(*_GENE), table.col(*_CNA)
        assert gene is not None and value is not None
        for row in table.rows:
            _add(job, row, row[gene], row[value], tumor(row))
    else:
        _matrix(table, job, tumors, default_tumor)
    return job


def _clinical(tumors: dict[str, str], sample: str) -> str:
    """The sample's code in the clinical file; a TCGA aliquot barcode also by its sample part (15 characters)."""
    return tumors.get(sample) or (tumors.get(sample[:15], "") if sample.startswith("TCGA-") else "")


def _detect(table: Table) -> str:
    if table.col("FUSION") is not None or table.col("SITE1_HUGO_SYMBOL", "SITE2_HUGO_SYMBOL") is not None:
        return "fusion"
    maf = ("VARIANT_CLASSIFICATION", *_PROTEIN[:-1], "TUMOR_SEQ_ALLELE2")
    if table.col(*maf) is not None:
        return "maf"
    if table.col(*_CNA) is not None or table.header[0].upper() in ("HUGO_SYMBOL", "GENE SYMBOL"):
        return "cna"
    raise DataError(
        f"{table.path}: can't tell the kind of file from its columns ({_names(table)}): a MAF has Hugo_Symbol and "
        "HGVSp_Short (or HGVSp, Variant_Classification), a CNA file Hugo_Symbol then sample columns (or "
        "Hugo_Symbol and ALTERATION), a fusion file Fusion (or Site1_Hugo_Symbol/Site2_Hugo_Symbol); or give --kind"
    )


def _maf(table: Table, job: Job, tumor: Any, reference_genome: str) -> None:
    _require(table, "maf", (*_GENE, "ENTREZ_GENE_ID"), ("HUGO_SYMBOL",))
    if table.col(*_PROTEIN) is None and any(table.col(c) is None for c in (*_GENOMIC, "TUMOR_SEQ_ALLELE2")):
        raise DataError(f"{table.path}: a MAF needs a protein change column (HGVSp_Short, HGVSp, Protein_Change, "
                        f"Amino_Acid_Change or ALTERATION) or the genomic columns; it has {_names(table)}")  # fmt: skip
    gene, entrez = table.col(*_GENE), table.col("ENTREZ_GENE_ID")
    proteins = [i for i in (table.col(name) for name in _PROTEIN) if i is not None]
    genomic = [table.col(c) for c in (*_GENOMIC, "TUMOR_SEQ_ALLELE2", "TUMOR_SEQ_ALLELE1")]
    consequence = table.col("VARIANT_CLASSIFICATION", "MUTATION_TYPE")
    build = table.col("NCBI_BUILD", "REFERENCE_GENOME")
    for row in table.rows:
        symbol = "" if gene is None or _empty(row[gene]) or row[gene].upper() == "UNKNOWN" else row[gene]
        if not symbol and entrez is not None and not _empty(row[entrez]) and row[entrez] != "0":
            symbol = row[entrez]
        protein = next((row[i] for i in proteins if not _empty(row[i])), "")
        if ":p." in protein:  # ENSP00000275493.2:p.Leu858Arg
            protein = protein.split(":", 1)[1]
        extra = {
            "consequence": "" if consequence is None or _empty(row[consequence]) else row[consequence],
            "referenceGenome": _BUILDS.get(row[build].upper(), row[build]) if build is not None and row[build] else "",
        }
        extra["referenceGenome"] = extra["referenceGenome"] or reference_genome
        change = _change(row, genomic)
        if not protein and change:  # no protein change: its genomic change (the gene comes from the match)
            _add(job, row, "", "", tumor(row), genomicChange=change, **extra)
        else:
            _add(job, row, symbol, protein, tumor(row), **extra)


def _change(row: list[str], cols: list[int | None]) -> str:
    """chromosome,start,end,ref,alt (``-`` for no bases) from the MAF columns, or "" when they are missing."""
    chrom, start, end, ref, alt2, alt1 = (row[i] if i is not None else "" for i in cols)
    if _empty(chrom) or _empty(start):
        return ""
    alt = alt2 if not _empty(alt2) and alt2 != ref else alt1
    return ",".join([chrom, start, end if not _empty(end) else start, ref or "-", alt or "-"])


def _fusions(table: Table, job: Job, tumor: Any) -> None:
    fusion, gene = table.col("FUSION"), table.col(*_GENE)
    site1, site2 = table.col("SITE1_HUGO_SYMBOL"), table.col("SITE2_HUGO_SYMBOL")
    if fusion is None and (site1 is None or site2 is None):
        raise DataError(f"{table.path}: a fusion file needs a Fusion column or Site1_Hugo_Symbol and "
                        f"Site2_Hugo_Symbol; it has {_names(table)}")  # fmt: skip
    for row in table.rows:
        if fusion is not None and not _empty(row[fusion]):
            _add(job, row, "" if gene is None or _empty(row[gene]) else row[gene], row[fusion], tumor(row))
            continue
        one, two = (row[i] if i is not None and not _empty(row[i]) else "" for i in (site1, site2))
        if one and two and one.upper() != two.upper():
            _add(job, row, "", f"{one}-{two}", tumor(row))
        else:
            _skip(job, row, "alteration:not_a_fusion")  # an intragenic event, or no sites at all


def _matrix(table: Table, job: Job, tumors: dict[str, str], default_tumor: str) -> None:
    if table.header[0].upper() not in ("HUGO_SYMBOL", "GENE SYMBOL"):
        raise DataError(f"{table.path}: a CNA matrix starts with Hugo_Symbol, not {table.header[0]!r}")
    first = 1
    while first < len(table.header) and table.header[first].upper() in ("ENTREZ_GENE_ID", "LOCUS ID", "CYTOBAND"):
        first += 1
    samples = table.header[first:]
    if not samples:
        raise DataError(f"{table.path}: a CNA matrix has one column per sample after Hugo_Symbol; this has none")
    entrez = 1 if first > 1 and table.header[1].upper() in ("ENTREZ_GENE_ID", "LOCUS ID") else None
    job.header = ["Tumor_Sample_Barcode", "Hugo_Symbol", *(["Entrez_Gene_Id"] if entrez else []), "ALTERATION"]
    for row, number in zip(table.rows, table.lines, strict=True):
        for name, value in zip(samples, row[first:], strict=True):
            if not (value in _GISTIC or value in _SHALLOW or _empty(value)):
                raise DataError(f"{table.path}: line {number}: {value!r} for {row[0]} in {name} is not -2, -1, 0, 1 "
                                "or 2")  # fmt: skip
            if value in _GISTIC:
                out = [name, row[0], *([row[entrez]] if entrez else []), _GISTIC[value]]
                _add(job, out, row[0], _GISTIC[value], _clinical(tumors, name) or default_tumor)


def _add(job: Job, row: list[str], gene: str, alteration: str, tumor: str, **extra: str) -> None:
    """One output row and its query (a GISTIC value as its word; -1, 0 and 1 are not annotated)."""
    alteration = _GISTIC.get(alteration, alteration)
    query = {"gene": gene, "alteration": alteration, "tumor": tumor, **extra}
    long = sorted(k for k, v in query.items() if len(v) > _MAX_CELL)
    if alteration in _SHALLOW:
        _skip(job, row, "alteration:not_amplification_or_deletion")
    elif long:
        _skip(job, row, f"{long[0]}:too_long")
    else:
        job.rows.append(row)
        job.queries.append(query)
        job.problems.append("")


def _skip(job: Job, row: list[str], problem: str) -> None:
    """A row written out unannotated, with its own problem."""
    job.rows.append(row)
    job.queries.append(None)
    job.problems.append(problem)


def _require(table: Table, kind: str, any_of: tuple[str, ...], named: tuple[str, ...]) -> None:
    if table.col(*any_of) is None:
        raise DataError(f"{table.path}: a {kind} file needs a {' and '.join(named)} column; it has {_names(table)}")


def _names(table: Table) -> str:
    return ", ".join(table.header[:12]) + (" …" if len(table.header) > 12 else "")


def _empty(text: str) -> bool:
    return text.strip().upper() in _EMPTY


# -- output ----------------------------------------------------------------------------------------------------
def columns(answer: Answer | None, problem: str = "") -> list[str]:
    """The added cells of one row, from its annotation (the JSON of /v1/annotate) or its own problem."""
    if answer is None:
        return ["FALSE", "FALSE", *[""] * (len(NAMES) - 3), problem]
    summaries = answer.get("summaries") or []
    levels: dict[str, list[str]] = {code: [] for code in _THERAPY}
    pmids: list[str] = []
    for s in summaries:
        code = s.get("oncokb_level")
        if code in levels and s.get("drugs"):
            drugs = s["drugs"]
            for treatment in ["+".join(drugs)] if s.get("drug_interaction") == "combination" else drugs:
                levels[code] += [] if treatment in levels[code] else [treatment]
            pmids += [p for p in s.get("pmids") or [] if p not in pmids]
    highest = {k: (answer.get(f"highest_{k}_level") or {}) for k in _KINDS}
    therapy = [h["oncokb"] for k, h in highest.items() if h and k in ("sensitive", "resistance")]
    variant = answer.get("variant") or {}
    problems = [f"{p['field']}:{p['reason']}" for p in answer.get("problems") or []]
    return [
        "TRUE" if answer.get("geneExist") else "FALSE",
        "TRUE" if answer.get("variantExist") else "FALSE",
        (answer.get("gene") or {}).get("symbol", ""),
        variant.get("id", "") or answer.get("biomarker") or "",
        (answer.get("tumor") or {}).get("code", ""),
        min(therapy, key=level_rank) if therapy else "",
        *(highest[k].get("oncokb", "") for k in _KINDS),
        *(",".join(levels[code]) for code in _THERAPY),
        ";".join(pmids),
        ";".join(f"{k}:{h['genekb']}" for k, h in highest.items() if h),
        ";".join(t["id"] for t in answer.get("tests") or []),
        ";".join(problems + ([problem] if problem else [])),
    ]


def write_job(out: TextIO, job: Job, answers: list[Answer | None], doc: list[str]) -> None:
    """The rows with the added columns; columns of an earlier run of the same names are replaced."""
    keep = [i for i, name in enumerate(job.header) if name.upper() not in NAMES]
    for line in [*job.comments, *doc, "\t".join([*(job.header[i] for i in keep), *NAMES])]:
        out.write(line + "\n")
    for row, answer, problem in zip(job.rows, answers, job.problems, strict=True):
        out.write("\t".join([*(row[i] for i in keep), *columns(answer, problem)]) + "\n")


def header_doc(source: str, kind: str, data_version: str, where: str, date: str) -> list[str]:
    """The # lines that say what the added columns hold."""
    return [
        f"#genekb annotate: {source} read as {kind}, annotated {date} by {where}, data version {data_version}",
        "#Levels are genekb's levels (A-E, mostly CIViC) written in OncoKB's vocabulary, not OncoKB's curation.",
        *(f"#{name}: {what}" for name, what in COLUMNS if name not in _THERAPY),
        f"#{','.join(_THERAPY)}: treatments at that level, comma-separated; drugs given together joined by +",
    ]


@dataclass
class Summary:
    rows: int = 0
    annotated: int = 0  # rows sent to the annotator
    distinct: int = 0  # distinct queries among them
    with_level: int = 0  # rows with a therapeutic, diagnostic or prognostic level
    with_problems: int = 0
    levels: Counter[str] = field(default_factory=Counter)  # rows by HIGHEST_LEVEL
    problems: Counter[str] = field(default_factory=Counter)  # rows by problem reason

    def lines(self) -> list[str]:
        found = ", ".join(f"{reason} {n}" for reason, n in self.problems.most_common()) or "none"
        levels = ", ".join(f"{code} {self.levels[code]}" for code in sorted(self.levels, key=level_rank)) or "none"
        return [
            f"{self.rows:,} rows, {self.annotated:,} annotated ({self.distinct:,} distinct queries), "
            f"{self.with_level:,} with a level",
            f"highest therapeutic levels: {levels}",
            f"rows with problems: {self.with_problems:,}" + (f" (by reason: {found})" if self.problems else ""),
        ]


def summarise(job: Job, answers: list[Answer | None], distinct: int) -> Summary:
    summary = Summary(rows=len(job.rows), annotated=sum(q is not None for q in job.queries), distinct=distinct)
    for answer, problem in zip(answers, job.problems, strict=True):
        cells = dict(zip(NAMES, columns(answer, problem), strict=True))
        if cells["HIGHEST_LEVEL"]:
            summary.levels[cells["HIGHEST_LEVEL"]] += 1
        if cells["HIGHEST_LEVEL"] or cells["HIGHEST_DX_LEVEL"] or cells["HIGHEST_PX_LEVEL"]:
            summary.with_level += 1
        reasons = {p.split(":", 1)[1] for p in cells["ANNOTATION_PROBLEMS"].split(";") if p}
        summary.problems.update(reasons)
        summary.with_problems += bool(reasons)
    return summary
