"""The search service: one query in, concepts + evidence + literature + tests out.

The flow is *build → execute → format*:

1. build: :func:`kb.query.parse_query` resolves the text to concepts, and :func:`kb.targets.targets`
   turns them into :class:`~kb.ranking.ConceptTargets`;
2. execute: retrieval from the backend (BM25, kNN, concept lookups) and ranking
   in :mod:`kb.ranking` (the same for every backend);
3. format: typed results (:class:`SearchResult`); the API turns them into JSON.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.analysis import analyze
from kb.didyoumean import DidYouMean, found_in, typed_words, understood
from kb.domain import Article, Evidence, TestItem
from kb.embedding import decode_vector
from kb.errors import QueryError
from kb.literature import (
    ConceptSlot,
    concept_sets,
    concept_slots,
    concepts_are_the_question,
    organ_words,
    tagged_articles,
)
from kb.ordering import clinical_key, intent_answers
from kb.ranking import (
    FEEDBACK_DOCS,
    LEVEL_WEIGHT,
    LEXICAL_WEIGHT,
    ConceptTargets,
    answers_variant,
    article_scores,
    convex_fusion,
    evidence_concept_score,
    feedback_vector,
    rrf,
)
from kb.recommend import Recommendation, recommend_tests
from kb.regulatory import Guidance
from kb.store.base import (
    ArticleFilter,
    ArticleHits,
    ArticleQuery,
    Backend,
    EvidenceFilter,
    EvidenceHits,
    EvidenceQuery,
    Scored,
)
from kb.suggest import Suggestion
from kb.summaries import Statement, grouped, statements
from kb.targets import targets
from kb.turns import Turns
from kb.vocab.words import Intent

if TYPE_CHECKING:
    from kb.embedding import Embedder
    from kb.query import ParsedQuery, QueryIndex
    from kb.vocab.tumors import TumorVocabulary

__all__ = ["MAX_QUERY_LENGTH", "SearchFilters", "SearchResult", "SearchService", "targets"]

MAX_QUERY_LENGTH = 500
VECTOR_CACHE = 4096  # query vectors kept (each 384 floats: about 12 MB in all)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    evidence_types: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    tumor: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    approved_in_china: bool = False  # therapies with an NMPA approval for the row's tumour only (kb.regulatory)


@dataclass(frozen=True, slots=True)
class ArticleHit:
    article: Article
    score: float
    concepts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchResult:
    data_version: str
    query: ParsedQuery
    evidence: list[Evidence]
    articles: list[ArticleHit]
    tests: list[Recommendation]
    page: int
    size: int
    total_articles: int
    total_evidence: int
    targets: ConceptTargets = field(default_factory=ConceptTargets)
    summaries: list[Statement] = field(default_factory=list)  # this page of the evidence's clinical statements
    total_summaries: int = 0
    understood: bool = True  # false: no concept and a weak lexical match, so nothing is answered (kb.didyoumean)
    did_you_mean: list[Suggestion] = field(default_factory=list)  # not understood: what the words may have meant


class SearchService:
    """Hybrid search over one :class:`~kb.store.base.Backend` (either implementation)."""

    def __init__(
        self,
        store: Backend,
        index: QueryIndex,
        *,
        embedder: Embedder | None = None,
        catalogue: Sequence[TestItem] | None = None,
        candidates: int = 200,
        concurrency: int = 0,
    ) -> None:
        self.backend = store
        self.index = index
        self.embedder = embedder
        self.catalogue = list(catalogue if catalogue is not None else store.iter_tests())
        self.candidates = candidates
        self._did_you_mean: DidYouMean | None = None  # built on the first query that is not understood
        self._vectors: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._vectors_lock = threading.Lock()
        self._turns = Turns(concurrency) if concurrency > 0 else None  # at most that many searches at once
        self._helpers = ThreadPoolExecutor(max(concurrency, 2), thread_name_prefix="search-feedback")
        self.guidance = Guidance.from_store(store, index.vocab)  # badges and the approved-in-China filter

    # -- build --------------------------------------------------------------------------------------
    def parse(self, text: str) -> ParsedQuery:
        from kb.query import parse_query

        if len(text) > MAX_QUERY_LENGTH:
            raise QueryError(
                f"the query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}",
                details={"max_length": MAX_QUERY_LENGTH, "length": len(text)},
            )
        return parse_query(text, self.index)

    def vector(self, text: str) -> list[float] | None:
        """The query's vector, from an LRU cache of the last :data:`VECTOR_CACHE` queries (doctors repeat them)."""
        if self.embedder is None or not text.strip():
            return None
        key = (self.embedder.model_name, text)
        with self._vectors_lock:
            found = self._vectors.get(key)
            if found is not None:
                self._vectors.move_to_end(key)
                return found
        vector = [float(x) for x in self.embedder.encode([text])[0]]
        with self._vectors_lock:
            self._vectors[key] = vector
            while len(self._vectors) > VECTOR_CACHE:
                self._vectors.popitem(last=False)
        return vector

    def did_you_mean(self, parsed: ParsedQuery) -> list[Suggestion]:
        """Concepts the unresolved words of ``parsed`` may have meant (edit distance, pinyin)."""
        if self._did_you_mean is None or self._did_you_mean.vocab is not self.index.vocab:
            prominent = {f"gene:{g}" for g in self.index.oncology}
            self._did_you_mean = DidYouMean(self.index.vocab, prominent=prominent)
        return self._did_you_mean.suggest(typed_words(parsed))

    # -- execute ------------------------------------------------------------------------------------
    def evidence_query(
        self, text: str, q: ConceptTargets, filters: EvidenceFilter, vector: Sequence[float] | None
    ) -> EvidenceQuery:
        genes = tuple(sorted(q.genes | q.implied_genes))
        return EvidenceQuery(
            terms=tuple(analyze(text)),
            filters=filters,
            limit=self.candidates,
            model=self.embedder.model_name if self.embedder is not None else "",
            vector=tuple(vector) if vector is not None and self.embedder is not None else None,
            genes=genes,
            tumors=tuple(sorted(q.tumor_family)) if not genes else (),  # a tumor-only query: the tumor's evidence
            drugs=tuple(sorted(q.drugs)),
        )

    def article_query(
        self,
        text: str,
        parsed: ParsedQuery,
        q: ConceptTargets,
        filters: ArticleFilter,
        vector: Sequence[float] | None,
        slots: Sequence[ConceptSlot] | None = None,
    ) -> ArticleQuery:
        dense_on = vector is not None and self.embedder is not None
        return ArticleQuery(
            terms=tuple(analyze(_expanded(text, parsed, self.index.vocab.tumors))),
            filters=filters,
            limit=self.candidates,
            model=self.embedder.model_name if self.embedder is not None else "",
            vector=tuple(vector) if vector is not None and dense_on else None,
            concepts=concept_sets(concept_slots(parsed, q, self.index.vocab) if slots is None else slots),
        )

    def rank_evidence(
        self,
        text: str,
        q: ConceptTargets,
        filters: EvidenceFilter,
        vector: Sequence[float] | None,
        hits: EvidenceHits | None = None,
    ) -> list[Evidence]:
        """Evidence for the query in the clinical order; ``hits``: the retrieval already made for it (else made
        here, with :meth:`evidence_query`)."""
        if hits is None:
            hits = self.backend.retrieve_evidence(self.evidence_query(text, q, filters, vector))
        fused = dict(rrf([hits.lexical, hits.dense]) if hits.dense else rrf([hits.lexical]))
        top = max(fused.values(), default=0.0) or 1.0
        fused = {doc: score / top for doc, score in fused.items()}
        pool = {e.id: e for e in hits.matching}
        missing = [doc for doc in fused if doc not in pool]
        pool.update(self.backend.get_evidence_many(missing))
        # a biomarker's evidence (MSI-H, TMB-H ...) by its links in the query index, filtered as the backend filters
        linked = [i for b in sorted(q.biomarkers) for i in self.index.biomarker_evidence.get(b, ()) if i not in pool]
        pool.update({i: e for i, e in self.backend.get_evidence_many(linked).items() if _passes(e, filters)})
        # words that matched no concept still count, through text relevance (0.75 at most)
        text_weight = 0.75 if q.unresolved else 0.0
        scored = [
            (e, evidence_concept_score(e, q) + text_weight * fused.get(e.id, 0.0), fused.get(e.id, 0.0))
            for e in pool.values()
        ]
        if not q.empty:
            # with every word resolved, only evidence that matches a concept answers the query
            scored = [s for s in scored if s[1] > 0 or (q.unresolved and s[2] > 0)]
        scored = _on_variant(scored, q)
        if q.empty:
            scored.sort(key=lambda s: (-s[2], s[0].id))
        else:  # the clinical order (kb.ordering): the match, the tumor, the intent, therapy first, the level ...
            answers = intent_answers(q.intents)
            scored.sort(key=lambda s: (clinical_key(s[0], q, s[1], s[2], answers), s[0].id))
        return [e for e, _, _ in scored]

    def rank_articles(
        self,
        text: str,
        q: ConceptTargets,
        parsed: ParsedQuery,
        evidence: Sequence[Evidence],
        filters: ArticleFilter,
        vector: Sequence[float] | None,
        hits: ArticleHits | None = None,
        slots: Sequence[ConceptSlot] | None = None,
        feedback: Future[Scored | None] | None = None,
    ) -> list[tuple[str, float, tuple[str, ...]]]:
        """(PMID, score, concept tags) in rank order; ``hits``, ``slots`` and ``feedback``: the retrieval already
        made for the query (else made here, with :meth:`article_query`), its concept slots and its second dense
        pass (:meth:`feedback`)."""
        slots = concept_slots(parsed, q, self.index.vocab) if slots is None else slots
        sets = concept_sets(slots)
        if hits is None:
            hits = self.backend.retrieve_articles(self.article_query(text, parsed, q, filters, vector))
        lexical = hits.lexical
        fused = convex_fusion([lexical])
        if vector is not None and self.embedder is not None:
            weights = [LEXICAL_WEIGHT, 1.0 - LEXICAL_WEIGHT]
            dense = feedback.result() if feedback is not None else self.feedback(vector, hits, filters)
            fused = convex_fusion([lexical, hits.dense if dense is None else dense], weights)
        cited: dict[str, float] = {}
        for item in evidence[:50]:
            strength = LEVEL_WEIGHT.get(item.level.value, 0) / 5
            for c in item.citations:
                if c.pmid:
                    cited[c.pmid] = max(cited.get(c.pmid, 0.0), strength)
        candidates = [doc for doc, _ in fused] + list(cited)
        tagged = tagged_articles(self.backend, sets, hits.tagged, candidates, limit=self.candidates)
        # a cited PMID we don't hold can't be shown; retrieved and tagged ones are held, so only the rest is looked up
        retrieved = {doc for doc, _ in fused} | set(tagged)
        unseen = [pmid for pmid in cited if pmid not in retrieved]
        held = retrieved | (self.backend.held_articles(unseen) if unseen else set())
        cited = {pmid: strength for pmid, strength in cited.items() if pmid in held}
        ranked = article_scores(fused, tagged, slots, cited, strict=concepts_are_the_question(parsed))
        return [(pmid, score, tuple(tagged.get(pmid, ()))) for pmid, score in ranked]

    def feedback(self, vector: Sequence[float], hits: ArticleHits, filters: ArticleFilter) -> Scored | None:
        """The second dense pass over the articles: the query moved towards the first pass's top articles (Rocchio);
        None when none of them has a vector."""
        model = self.embedder.model_name if self.embedder is not None else ""
        fused = convex_fusion([hits.lexical, hits.dense], [LEXICAL_WEIGHT, 1.0 - LEXICAL_WEIGHT])
        top = [doc for doc, _ in fused[:FEEDBACK_DOCS]]
        stored = self.backend.article_vectors(model, top)
        found = [[float(x) for x in decode_vector(stored[p])] for p in top if p in stored]
        if not found:
            return None
        return self.backend.knn_articles(model, feedback_vector(vector, found), limit=self.candidates, filters=filters)

    def search(self, text: str, *, page: int = 1, size: int = 10, filters: SearchFilters | None = None) -> SearchResult:
        if self._turns is None:
            return self._search(text, page=page, size=size, filters=filters)
        with self._turns:
            return self._search(text, page=page, size=size, filters=filters)

    def _search(self, text: str, *, page: int, size: int, filters: SearchFilters | None) -> SearchResult:
        filters = filters or SearchFilters()
        parsed = self.parse(text)
        q = targets(parsed, self.index)
        tumor_filter: tuple[str, ...] = ()
        if filters.tumor:
            code = filters.tumor.upper()
            if code not in self.index.vocab.tumors:
                raise QueryError(f"unknown OncoTree code {filters.tumor!r}", details={"tumor": filters.tumor})
            tumor_filter = (code, *self.index.vocab.tumors.descendants(code))
        ev_filter = EvidenceFilter(
            types=tuple(t.lower() for t in filters.evidence_types),
            levels=tuple(lv.upper() for lv in filters.levels),
            tumors=tumor_filter,
        )
        art_filter = ArticleFilter(year_from=filters.year_from, year_to=filters.year_to)
        if not understood(parsed, found_in(self.backend)):  # an honest empty answer, with suggestions
            return SearchResult(
                data_version=self.backend.data_version(),
                query=parsed,
                evidence=[],
                articles=[],
                tests=[],
                page=page,
                size=size,
                total_articles=0,
                total_evidence=0,
                targets=q,
                understood=False,
                did_you_mean=self.did_you_mean(parsed),
            )
        vector = self.vector(text)
        slots = concept_slots(parsed, q, self.index.vocab)
        found = self.backend.retrieve(  # both kinds in one call: one round trip on Elasticsearch
            self.evidence_query(text, q, ev_filter, vector),
            self.article_query(text, parsed, q, art_filter, vector, slots),
        )
        # the articles' second dense pass waits on the store: it runs while the evidence is ranked
        feedback = None
        if vector is not None and self.embedder is not None:
            feedback = self._helpers.submit(self.feedback, vector, found[1], art_filter)
        evidence = self.rank_evidence(text, q, ev_filter, vector, found[0])
        ranked = self.rank_articles(text, q, parsed, evidence, art_filter, vector, found[1], slots, feedback)
        start = (page - 1) * size
        window = ranked[start : start + size]
        articles = self.backend.get_articles([pmid for pmid, _, _ in window])
        hits = [ArticleHit(articles[p], round(s, 4), c) for p, s, c in window if p in articles]
        tests = recommend_tests(
            self.catalogue, q, evidence, self.index.vocab.tumors, biomarkers=self.index.vocab.biomarkers
        )
        if filters.approved_in_china:
            evidence = [e for e in evidence if self.guidance.approved_in_china(e.drugs, e.tumor_code)]
        groups = grouped(evidence)  # only the page shown becomes statements
        return SearchResult(
            data_version=self.backend.data_version(),
            query=parsed,
            evidence=evidence[start : start + size],
            articles=hits,
            tests=tests,
            page=page,
            size=size,
            total_articles=len(ranked),
            total_evidence=len(evidence),
            targets=q,
            summaries=statements(groups[start : start + size], q),
            total_summaries=len(groups),
        )


def _on_variant(scored: list[tuple[Evidence, float, float]], q: ConceptTargets) -> list[tuple[Evidence, float, float]]:
    """Without the rows of a gene whose variant the query names that are about another alteration of it, when
    some rows answer the variant; rows that match a named drug or biomarker stay, and so does everything for a
    resistance question (the other alterations of a drug's target are its resistance mechanisms)."""
    if Intent.RESISTANCE.value in q.intents or not (q.variants or q.variant_kinds):
        return scored
    verdicts = [answers_variant(e, q) for e, _, _ in scored]
    answered = {e.gene for (e, _, _), ok in zip(scored, verdicts, strict=True) if ok}
    return [
        s
        for s, ok in zip(scored, verdicts, strict=True)
        if ok is not False
        or s[0].gene not in answered
        or q.drugs.intersection(s[0].drugs)
        or q.biomarkers.intersection(s[0].biomarkers)
    ]


def _passes(item: Evidence, filters: EvidenceFilter) -> bool:
    """Whether an item fetched by id passes the evidence filters (types, levels, tumors)."""
    return (
        (not filters.types or item.evidence_type.value in filters.types)
        and (not filters.levels or item.level.value in filters.levels)
        and (not filters.tumors or item.tumor_code in filters.tumors)
    )


def _expanded(text: str, parsed: ParsedQuery, tumors: TumorVocabulary) -> str:
    """The query text plus the English labels of its concepts (Chinese queries then match English text).

    When the concepts are the whole question (:func:`kb.literature.concepts_are_the_question`), a tumor adds
    only the words of its name that belong to its organ (:func:`kb.literature.organ_words`): ``adenocarcinoma``
    names tumors of a dozen organs and would pull their articles. With English words left over, the text
    decides, and the label is added whole (as measured on NFCorpus, docs/benchmarks.md).
    """
    organs = concepts_are_the_question(parsed)
    labels = [
        organ_words(c.id, c.label, tumors) if organs and c.type == "tumor" and c.id in tumors else c.label
        for c in parsed.concepts
        if c.label and not c.implied
    ]
    return " ".join([text, *labels])
