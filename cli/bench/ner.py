"""NER benchmark: strict entity-level precision, recall and F1 of the concept tagger.

A predicted mention counts only when its type and both character offsets equal a
gold entity's. Corpora (under ``data_dir``, read in place):

* CIViCmine training sentences (``civicmine/training.tar.gz``, brat ``.txt`` + ``.a1``):
  gene, variant, cancer and drug, scored against GENE, VARIANT, TUMOR and DRUG;
* the IOB test splits of BC5CDR (Chemical -> DRUG as "chemical", Disease -> TUMOR as
  "disease"), NCBI-disease (Disease -> TUMOR) and BC2GM (GENE -> GENE). Sentence text is
  the tokens joined by single spaces.

BC5CDR and NCBI diseases are not all cancers and BC5CDR chemicals are not all drugs:
the tagger is an oncology tagger and is not tuned per corpus, so those rows measure
how far it carries, not a target.

Run it with ``python -m cli.bench.ner DATA_DIR``.
"""

from __future__ import annotations

import gzip
import sys
import tarfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from kb.errors import ParseError
from kb.tagging import Label, Mention

__all__ = [
    "CORPORA",
    "Corpus",
    "Entity",
    "NerRow",
    "Sentence",
    "Tagger",
    "format_table",
    "read_brat",
    "read_iob",
    "run_ner_bench",
    "score",
    "tagging_speed",
]


class Tagger(Protocol):
    def tag_many(self, texts: Iterable[str], batch_size: int = ...) -> Iterator[list[Mention]]: ...


@dataclass(frozen=True, slots=True)
class Entity:
    start: int
    end: int
    type: str  # the corpus's own type: gene, Chemical, Disease ...


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    entities: tuple[Entity, ...]


@dataclass(frozen=True, slots=True)
class Corpus:
    """One benchmark corpus: where it is, its format, and how its types map to ours."""

    name: str
    path: str  # relative to the data dir
    format: str  # "brat-tar" | "iob"
    types: Mapping[str, tuple[str, Label]]  # gold type -> (row name, our label)


CORPORA: tuple[Corpus, ...] = (
    Corpus(
        "CIViCmine",
        "civicmine/training.tar.gz",
        "brat-tar",
        {
            "gene": ("gene", Label.GENE),
            "variant": ("variant", Label.VARIANT),
            "cancer": ("cancer", Label.TUMOR),
            "drug": ("drug", Label.DRUG),
        },
    ),
    Corpus(
        "BC5CDR",
        "ner/BC5CDR-IOB/test.tsv.gz",
        "iob",
        {"Chemical": ("chemical", Label.DRUG), "Disease": ("disease", Label.TUMOR)},
    ),
    Corpus("NCBI-disease", "ner/NCBI-disease-IOB/test.tsv.gz", "iob", {"Disease": ("disease", Label.TUMOR)}),
    Corpus("BC2GM", "ner/BC2GM-IOB/test.tsv.gz", "iob", {"GENE": ("gene", Label.GENE)}),
)


@dataclass(frozen=True, slots=True)
class NerRow:
    corpus: str
    entity: str
    label: Label
    sentences: int
    gold: int
    predicted: int
    correct: int
    seconds: float = 0.0  # time to tag the corpus (all types)

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


# --- readers ---------------------------------------------------------------------------------


def read_brat(archive: Path) -> Iterator[Sentence]:
    """Sentences of a tar of brat documents (``NAME.txt`` + ``NAME.a1`` text-bound annotations)."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            files: dict[str, dict[str, bytes]] = {}
            for member in tar:
                path = PurePosixPath(member.name)
                if member.isfile() and path.suffix in (".txt", ".a1"):
                    handle = tar.extractfile(member)
                    if handle is not None:
                        files.setdefault(str(path.with_suffix("")), {})[path.suffix] = handle.read()
    except (OSError, tarfile.TarError) as exc:
        raise ParseError(f"{archive}: cannot read the brat archive: {exc}") from exc
    for name in sorted(files):
        parts = files[name]
        if ".txt" in parts:
            text = parts[".txt"].decode("utf-8")
            yield Sentence(text, tuple(_brat_entities(parts.get(".a1", b"").decode("utf-8"), text, name)))


def _brat_entities(annotations: str, text: str, name: str) -> Iterator[Entity]:
    for line in annotations.splitlines():
        if not line.startswith("T"):
            continue  # relations, events and notes
        try:
            _, info, surface = line.split("\t")
            kind, offsets = info.split(" ", 1)
            spans = [tuple(int(x) for x in part.split()) for part in offsets.split(";")]
        except ValueError as exc:
            raise ParseError(f"{name}.a1: malformed annotation {line!r}") from exc
        start, end = spans[0][0], spans[-1][-1]  # a discontinuous entity is scored by its outer bounds
        if len(spans) == 1 and text[start:end] != surface:
            raise ParseError(f"{name}.a1: {surface!r} is not at {start}-{end}")
        yield Entity(start, end, kind)


def read_iob(stream: IO[str]) -> Iterator[Sentence]:
    """Sentences of a ``token<TAB>IOB`` file with blank lines between sentences."""
    tokens: list[tuple[str, str]] = []
    for number, line in enumerate(stream, 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            if tokens:
                yield _iob_sentence(tokens)
                tokens = []
            continue
        token, sep, tag = line.partition("\t")
        if not sep or not (tag == "O" or tag[:2] in ("B-", "I-")):
            raise ParseError(f"IOB line {number}: expected token<TAB>tag, got {line!r}")
        tokens.append((token, tag))
    if tokens:
        yield _iob_sentence(tokens)


def _iob_sentence(tokens: Sequence[tuple[str, str]]) -> Sentence:
    entities: list[Entity] = []
    open_start, open_end, open_type = -1, -1, ""
    pos = 0
    for token, tag in tokens:
        start, end = pos, pos + len(token)
        pos = end + 1
        continues = tag.startswith("I-") and open_type == tag[2:]
        if open_type and not continues:
            entities.append(Entity(open_start, open_end, open_type))
            open_type = ""
        if continues:
            open_end = end
        elif tag != "O":  # B-, or an I- that starts an entity
            open_start, open_end, open_type = start, end, tag[2:]
    if open_type:
        entities.append(Entity(open_start, open_end, open_type))
    return Sentence(" ".join(token for token, _ in tokens), tuple(entities))


# --- scoring ---------------------------------------------------------------------------------


def score(gold: Iterable[tuple[int, int, int]], predicted: Iterable[tuple[int, int, int]]) -> tuple[int, int, int]:
    """``(gold, predicted, correct)`` counts of two sets of ``(sentence, start, end)`` spans."""
    gold_set, predicted_set = set(gold), set(predicted)
    return len(gold_set), len(predicted_set), len(gold_set & predicted_set)


def score_corpus(
    corpus: Corpus, sentences: Sequence[Sentence], mentions: Sequence[Sequence[Mention]], seconds: float = 0.0
) -> list[NerRow]:
    rows = []
    for gold_type, (row_name, label) in corpus.types.items():
        gold = ((i, e.start, e.end) for i, s in enumerate(sentences) for e in s.entities if e.type == gold_type)
        found = ((i, m.start_char, m.end_char) for i, ms in enumerate(mentions) for m in ms if m.label is label)
        n_gold, n_predicted, n_correct = score(gold, found)
        rows.append(NerRow(corpus.name, row_name, label, len(sentences), n_gold, n_predicted, n_correct, seconds))
    return rows


def load_corpus(data_dir: Path, corpus: Corpus) -> list[Sentence]:
    path = data_dir / corpus.path
    if corpus.format == "brat-tar":
        return list(read_brat(path))
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return list(read_iob(fh))
    except (OSError, EOFError) as exc:
        raise ParseError(f"{path}: cannot read: {exc}") from exc


def run_ner_bench(data_dir: Path, tagger: Tagger, corpora: Sequence[Corpus] = CORPORA) -> list[NerRow]:
    """Tag every corpus sentence and score it, one row per corpus and entity type."""
    rows: list[NerRow] = []
    for corpus in corpora:
        sentences = load_corpus(data_dir, corpus)
        began = time.perf_counter()
        mentions = list(tagger.tag_many((s.text for s in sentences), batch_size=512))
        rows.extend(score_corpus(corpus, sentences, mentions, time.perf_counter() - began))
    return rows


def format_table(rows: Iterable[NerRow]) -> str:
    """A markdown table of the rows."""
    lines = [
        "| corpus | entity | sentences | gold | predicted | correct | precision | recall | F1 |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.corpus} | {r.entity} | {r.sentences:,} | {r.gold:,} | {r.predicted:,} | {r.correct:,} "
            f"| {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} |"
        )
    return "\n".join(lines)


def tagging_speed(tagger: Tagger, texts: Sequence[str], *, batch_size: int = 256, rounds: int = 3) -> float:
    """Texts per second of :meth:`Tagger.tag_many`: the best of ``rounds`` runs, timed in this
    process's CPU time so that other work on the machine does not count."""
    best = float("inf")
    for _ in range(rounds):
        began = time.process_time()
        for _mentions in tagger.tag_many(texts, batch_size=batch_size):
            pass
        best = min(best, time.process_time() - began)
    return len(texts) / best if best > 0 else float("inf")


def main(argv: Sequence[str]) -> int:
    from ingest.pubmed import parse_pubmed
    from ingest.sources import open_source
    from ingest.vocabularies import load_vocabularies
    from kb.domain import Article
    from kb.tagging import build_tagger

    if len(argv) != 1:
        print("usage: python -m cli.bench.ner DATA_DIR", file=sys.stderr)
        return 2
    data_dir = Path(argv[0])
    began = time.process_time()
    vocab = load_vocabularies(data_dir)
    loaded = time.process_time()
    tagger = build_tagger(vocab)
    built = time.process_time()
    print(format_table(run_ner_bench(data_dir, tagger)))
    print(f"\nCPU time: vocabularies loaded in {loaded - began:.1f} s, tagger built in {built - loaded:.1f} s")
    abstracts = data_dir / "pubmed" / "pubmed21n1298.oncology_subset.xml.gz"
    if abstracts.exists():
        with open_source(abstracts) as fh:
            texts = [r.text for r in parse_pubmed(fh, source_name=abstracts.name) if isinstance(r, Article)]
        rate = tagging_speed(tagger, texts)
        print(f"tag_many: {rate:,.0f} abstracts/s (CPU time, one core) on {len(texts):,} abstracts of {abstracts.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
