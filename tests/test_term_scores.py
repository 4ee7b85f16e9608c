"""The embedded store's BM25 from cached per-term scores (kb/store/sqlite_terms.py): the same scores and
order as FTS5's own ``bm25()`` of the whole query, bit for bit, before and after the data changes."""

from __future__ import annotations

from kb.analysis import analyze
from kb.domain import Article
from kb.store.base import ArticleFilter, ArticleQuery
from kb.store.sqlite import SQLiteStore
from kb.store.sqlite_terms import TermScores

WORDS = ("lung", "cell", "carcinoma", "egfr", "t790m", "resistance", "melanoma", "braf", "cohort", "small")


def _articles(start: int, n: int) -> list[Article]:
    """Articles over a small vocabulary, so that most of them share words and many tie on score."""
    out = []
    for i in range(start, start + n):
        title = " ".join(WORDS[(i * k) % len(WORDS)] for k in (1, 3))
        abstract = " ".join(WORDS[(i + k * k) % len(WORDS)] for k in range(i % 9 + 1))
        out.append(Article(pmid=str(i), title=title, abstract=abstract, year=2000 + i % 20, journal="J"))
    return out


def _fts5(store: SQLiteStore, text: str, limit: int) -> list[tuple[str, float]]:
    return store.bm25_articles(analyze(text), limit=limit, filters=ArticleFilter())


def _cached(store: SQLiteStore, text: str, limit: int) -> list[tuple[str, float]]:
    return store.retrieve_articles(
        ArticleQuery(terms=tuple(analyze(text)), filters=ArticleFilter(), limit=limit)
    ).lexical


def test_cached_term_scores_rank_as_fts5_ranks_the_whole_query(store: SQLiteStore) -> None:
    store.upsert_articles(_articles(1, 300))
    queries = ["lung cell carcinoma", "EGFR T790M resistance small cell lung", "braf melanoma cohort", "cell", "zzz"]
    for text in queries * 2:  # the second time from the cache
        for limit in (1, 25, 400):
            assert _cached(store, text, limit) == _fts5(store, text, limit)
    scores = [s for _, s in _cached(store, "lung cell", 300)]
    assert len(scores) > len(set(scores))  # ties: ordered by row id, as FTS5's query orders them


def test_a_write_empties_the_cache_and_deleted_articles_stay_out(store: SQLiteStore) -> None:
    store.upsert_articles(_articles(1, 200))
    before = _cached(store, "lung cell carcinoma", 50)
    store.upsert_articles(_articles(201, 200))  # new rows change every term's IDF and the mean length
    store.delete_articles([pmid for pmid, _ in before[:5]])
    after = _cached(store, "lung cell carcinoma", 50)
    assert after == _fts5(store, "lung cell carcinoma", 50) and after != before
    assert {pmid for pmid, _ in before[:5]}.isdisjoint(pmid for pmid, _ in after)


def test_the_cache_keeps_at_most_its_capacity_of_postings(store: SQLiteStore) -> None:
    store.upsert_articles(_articles(1, 300))
    cache = TermScores(capacity=400)
    version = store.data_version()
    for term in WORDS:
        cache.top(store._read, version, "articles_fts", "bm25(articles_fts, 2.0, 1.0)", [term], 10)
        assert cache._size <= 400 or len(cache._terms) == 1
    assert 1 <= len(cache._terms) < len(WORDS)
    kept = sum(len(rows) for rows, _ in cache._terms.values())
    assert kept == cache._size


def test_top_rows_are_fts5s_rows_in_fts5s_order(store: SQLiteStore) -> None:
    store.upsert_articles(_articles(1, 300))
    terms = analyze("small cell lung carcinoma cohort")
    match = " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))
    bm25 = "bm25(articles_fts, 2.0, 1.0)"
    for n in (1, 7, 60, 500):
        fts5 = store._read(
            f"SELECT rowid, -{bm25} AS score FROM articles_fts WHERE articles_fts MATCH ? ORDER BY score DESC, rowid "
            "LIMIT ?",
            (match, n),
        )
        top = TermScores().top(store._read, store.data_version(), "articles_fts", bm25, list(dict.fromkeys(terms)), n)
        assert top == [(int(r[0]), float(r[1])) for r in fts5]
