"""Honest empty answers (issue 13, item 5): a query that is not understood gets no evidence, no articles and
no tests but "did you mean" suggestions, and is logged as a zero-result search; the content-gap report lists
zero-result queries and unresolved words (whole words, never bigrams) once enough distinct doctors searched
them. Through the real SearchService and a live server on both search backends, and both editorial databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from api.app import create_app
from kb.analysis import analyze
from kb.didyoumean import DidYouMean, found_in, understood
from kb.editorial.accounts import Accounts
from kb.editorial.db import MIGRATIONS, Database
from kb.editorial.db.models import SearchLog
from kb.editorial.follows import Follows
from kb.services import Services, build_services
from kb.settings import Settings
from kb.text import fold
from tests.api_server import LiveServer
from tests.test_editorial import PASSWORD, fresh_database

# (query, a concept it meant): typos past the parser's one-edit reading, pinyin and Chinese slips
MEANT = [
    ("osimertnb", ("drug", "osimertinib")),  # two letters missing
    ("gefitnb", ("drug", "gefitinib")),
    ("BRFA", ("gene", "BRAF")),  # two letters swapped
    ("KRSA", ("gene", "KRAS")),
    ("jifeitinii", ("drug", "gefitinib")),  # pinyin of 吉非替尼 with a letter too many
    ("aoxitinni", ("drug", "osimertinib")),  # pinyin of 奥希替尼
    ("奥希替尪", ("drug", "osimertinib")),  # a wrong character of another sound
    ("黑色素溜瘤", ("tumor", "MEL")),  # a character too many
    ("非小细胞肺瘾", ("tumor", "NSCLC")),
    ("brest", ("tumor", "BREAST")),
]
OFF_TOPIC = ["天气", "今天天气怎么样", "weather forecast tomorrow"]
RESOLVED = ["EGFR T790M 奥希替尼", "吉非替尼尼", "BRAF V600E 结直肠癌"]
# English free text that resolves no concept but matches the literature of the test store
FREE_TEXT = ["obesity and physical activity", "smoking cessation", "mortality risk in elderly patients"]


def search(api: httpx.Client, q: str, **kw: Any) -> dict[str, Any]:
    response = api.get("/v1/search", params={"q": q}, **kw)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_empty(body: dict[str, Any]) -> None:
    assert body["understood"] is False
    assert body["evidence"] == [] and body["articles"] == [] and body["tests"] == []
    assert body["page"]["total_evidence"] == 0 and body["page"]["total_articles"] == 0


@pytest.fixture(scope="module")
def client(live_api: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_api.url, timeout=30.0) as c:
        yield c


# -- the answer -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("q", "meant"), MEANT, ids=[q for q, _ in MEANT])
def test_a_typo_nothing_resolves_gets_an_empty_answer_that_suggests_what_was_meant(
    client: httpx.Client, q: str, meant: tuple[str, str]
) -> None:
    body = search(client, q)
    assert body["query"]["concepts"] == []  # the parser did not read it: the case this answer is for
    assert_empty(body)
    suggested = [(s["type"], s["id"]) for s in body["did_you_mean"]]
    assert meant in suggested
    assert all(s.keys() == {"type", "id", "label", "label_zh", "matched"} for s in body["did_you_mean"])


@pytest.mark.parametrize("q", [*OFF_TOPIC, "qqxzvbnm"])
def test_an_off_topic_or_nonsense_query_gets_no_evidence_articles_or_tests(client: httpx.Client, q: str) -> None:
    body = search(client, q)
    assert_empty(body)


def test_a_two_character_chinese_word_is_never_taken_for_a_typo(client: httpx.Client) -> None:
    """One wrong character of two is another word: 天气 suggests nothing."""
    assert search(client, "天气")["did_you_mean"] == []


@pytest.mark.parametrize("q", RESOLVED)
def test_a_query_that_resolves_a_concept_is_answered_as_before(client: httpx.Client, q: str) -> None:
    body = search(client, q)
    assert body["query"]["concepts"]
    assert body["understood"] is True and body["did_you_mean"] == []
    assert body["evidence"] and body["articles"]
    assert body["page"]["total_evidence"] > 0


@pytest.mark.parametrize("q", FREE_TEXT)
def test_english_free_text_that_matches_the_literature_still_gets_articles(
    client: httpx.Client, live_api: LiveServer, q: str
) -> None:
    body = search(client, q)
    assert body["query"]["concepts"] == []
    assert body["understood"] is True and body["did_you_mean"] == []
    assert body["articles"]
    terms = {t for w in body["query"]["unresolved"] for t in analyze(w)}
    first = live_api.services.store.get_articles([body["articles"][0]["pmid"]])[body["articles"][0]["pmid"]]
    assert terms & set(analyze(f"{first.title} {first.abstract}"))  # it matches words of the question


# -- the rule, on the real backend and service -------------------------------------------------------------
def test_understood_means_more_than_half_of_the_words_are_in_the_index(live_api: LiveServer) -> None:
    search_service = live_api.services.search
    found = found_in(search_service.backend)
    nonsense = "qqxzvbnm"
    assert found("survival") and found("mortality") and not found(nonsense)
    assert not understood(search_service.parse(f"survival {nonsense}"), found)  # a half is not more than half
    assert understood(search_service.parse(f"survival mortality {nonsense}"), found)
    assert not understood(search_service.parse("mutation"), found)  # no word to search by
    assert not understood(search_service.parse(""), found)
    result = search_service.search(f"survival {nonsense}")
    assert not result.understood and result.evidence == [] and result.articles == [] and result.tests == []
    assert result.total_evidence == result.total_articles == 0


def test_suggestions_rank_the_clinical_concept_first_and_leave_rare_gene_symbols_out(live_api: LiveServer) -> None:
    services = live_api.services
    oncology = {f"gene:{g}" for g in services.index.oncology}
    did_you_mean = DidYouMean(services.vocab, prominent=oncology)
    first = did_you_mean.suggest(["EGRF"])[0]
    assert (first.type, first.id) == ("gene", "EGFR")  # as long as typed, before EGF
    rare = {g.symbol for g in services.vocab.genes.genes.values() if not g.name_zh} - set(services.index.oncology)
    for word in ("EGRF", "KRSA", "BRFA", "TP35", "ALKK"):
        assert not {s.id for s in did_you_mean.suggest([word]) if s.type == "gene"} & rare
    pinyin = did_you_mean.suggest(["aoxitinni"])[0]
    assert (pinyin.id, pinyin.matched) == ("osimertinib", "奥希替尼")  # the Chinese name its pinyin spells


# -- the search log and the content-gap report -------------------------------------------------------------
DOCTORS = [f"doctor{i}" for i in range(5)]  # KB_GAP_MIN_DOCTORS defaults to 5


class Site:
    """A live server over an editorial database with an editor and five doctors, signed in."""

    def __init__(self, server: LiveServer, db: Database) -> None:
        self.server = server
        self.db = db
        self.tokens = {name: self._login(name) for name in ["editor", *DOCTORS]}

    def _login(self, name: str) -> str:
        response = httpx.post(f"{self.server.url}/v1/auth/login", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def search(self, who: str, q: str) -> dict[str, Any]:
        """A doctor's search, with its log entry written (the server queues it off the request's path)."""
        with httpx.Client(base_url=self.server.url, timeout=30.0) as c:
            body = search(c, q, headers={"Authorization": f"Bearer {self.tokens[who]}"})
        self.server.app.state.editorial.follows.flush()
        return body

    def report(self) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens['editor']}"}
        response = httpx.get(
            f"{self.server.url}/v1/reports/content-gaps", params={"top": 200}, headers=headers, timeout=30.0
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def sqlite_services(full_store: Any) -> Iterator[tuple[Settings, Services]]:
    settings, store = full_store("sqlite")
    yield settings, build_services(settings, embed=False, store=store)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest,
    sqlite_services: tuple[Settings, Services],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    base, services = sqlite_services
    url, drop = fresh_database(request.param, tmp_path_factory.mktemp(f"gaps-{request.param}"))
    settings = base.model_copy(update={"db_url": url, "secret_key": "test-signing-key-of-at-least-32-bytes"})
    db = Database(url)
    db.upgrade()
    accounts = Accounts(db, settings)
    for name in ["editor", *DOCTORS]:
        accounts.create_user(name, PASSWORD, "editor" if name == "editor" else "doctor", actor="test-setup")
    try:
        with LiveServer(create_app(settings, services=services), services) as server:
            yield Site(server, db)
    finally:
        db.close()
        drop()


def listed(report: dict[str, Any], part: str) -> dict[str, int]:
    return {term: n for term, n in report[part]}


def test_a_zero_result_query_is_reported_once_five_distinct_doctors_searched_it(site: Site) -> None:
    word = "qqxwvkjh"  # each site has a fresh editorial database
    site.search("doctor0", word)
    site.search("doctor0", word)  # the same doctor again: more searches, not more doctors
    for doctor in DOCTORS[1:4]:
        assert site.search(doctor, word)["understood"] is False
    report = site.report()
    assert word not in listed(report, "zero_result_queries") and word not in listed(report, "unresolved_terms")
    site.search(DOCTORS[4], word)
    report = site.report()
    assert listed(report, "zero_result_queries")[word] == 6
    assert listed(report, "unresolved_terms")[word] == 6
    assert report["min_doctors"] == 5
    assert "pseudonym" not in str(report) and not any(d in str(report) for d in DOCTORS)


def test_unresolved_words_are_reported_whole_never_as_bigrams(site: Site) -> None:
    word = "wordyzq"
    queries = [f"EGFR {word}", "空气污染 肺癌", "天气预报明天"]  # answered, answered, not understood
    for doctor in DOCTORS:
        for q in queries:
            site.search(doctor, q)
    report = site.report()
    words = [fold(w) for q in queries for w in site.server.services.search.parse(q).unresolved]
    assert words == [word, "空气污染", "天气预报明天"]  # whole words, as the parser left them
    unresolved = listed(report, "unresolved_terms")
    assert all(unresolved.get(w) == len(DOCTORS) for w in words)
    bigrams = {b for w in words for b in analyze(w)} - set(words)
    assert {"空气", "气污", "预报"} <= bigrams  # what the report used to list
    reported = set(unresolved) | {t for q in listed(report, "zero_result_queries") for t in q.split()}
    assert not bigrams & reported
    zero = listed(report, "zero_result_queries")
    assert zero.get("天气预报明天") == len(DOCTORS)
    assert not any(word in q or "空气污染" in q for q in zero)  # answered queries are no zero-result gap
    top = listed(report, "top_terms")
    assert top.get("gene:EGFR", 0) >= len(DOCTORS) and top.get("tumor:LUNG", 0) >= len(DOCTORS)


def test_the_log_keeps_concept_ids_and_unresolved_words_never_the_query_text(site: Site) -> None:
    q = "KRAS G12C kidneyish 的 治疗"
    site.search("doctor1", q)
    with site.db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("search_log")}
        raw = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM search_log"))]
    assert "query" not in columns and raw
    assert not any(q in str(value) or "的 治疗" in str(value) for row in raw for value in row)
    with site.db.session() as s:
        mine = [r for r in s.scalars(sa.select(SearchLog)) if "kidneyish" in r.unresolved]
        assert len(mine) == 1
        assert set(mine[0].concepts) == {"gene:KRAS", "variant:KRAS:G12C"}
        assert mine[0].unresolved == ["kidneyish"] and mine[0].results > 0


def test_the_threshold_is_the_number_of_distinct_doctors_asked_for(site: Site) -> None:
    """The report's threshold is a parameter of the service (KB_GAP_MIN_DOCTORS through the route)."""
    word = "qqywvkjh"
    for doctor in DOCTORS[:2]:
        site.search(doctor, word)
    follows = Follows(site.db, retention_days=180)
    editor = site.server.app.state.editorial.accounts.from_token(site.tokens["editor"])
    assert word in dict(follows.content_gaps(editor, min_doctors=2, top=200).zero_result_queries)
    assert word not in dict(follows.content_gaps(editor, min_doctors=3, top=200).zero_result_queries)


# -- the migration ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0003_drops_the_kept_query_texts_and_goes_back_and_forth(kind: str, tmp_path: Path) -> None:
    url, drop = fresh_database(kind, tmp_path)
    db = Database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
            conn.execute(
                sa.text("INSERT INTO search_log (pseudonym, query, results, at) VALUES ('p', :q, 0, :at)"),
                {"q": "a doctor's free text", "at": "2026-01-01 00:00:00+00:00"},
            )
        db.upgrade()
        with db.engine.connect() as conn:
            assert {c["name"] for c in sa.inspect(conn).get_columns("search_log")} >= {"concepts", "unresolved"}
            assert conn.execute(sa.text("SELECT count(*) FROM search_log")).scalar() == 0
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
        with db.engine.connect() as conn:
            assert "query" in {c["name"] for c in sa.inspect(conn).get_columns("search_log")}
        db.upgrade()
    finally:
        db.close()
        drop()
