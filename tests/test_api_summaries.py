"""``/v1/search`` evidence summaries over HTTP, on both backends (the ``api`` fixture: a live server over a
full store of each backend): the statements are additive to ``evidence``, page like the articles, carry
their items, levels, PMIDs, tumor relation and CIViC assertions, and both backends answer alike."""

from __future__ import annotations

from typing import Any

import httpx

SUMMARY_KEYS = {
    "id", "gene", "variant", "variant_id", "biomarkers", "tumor", "disease", "tumor_relation", "drugs", "drug_refs",
    "evidence_type", "significance", "direction", "agree", "best_level", "count", "pmids", "last_review",
    "assertions", "evidence",
}  # fmt: skip
LEVELS = "ABCDE"


def search(api: httpx.Client, q: str, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_statements_carry_their_items_level_pmids_and_relation(api: httpx.Client) -> None:
    body = search(api, "EGFR L858R 非小细胞肺癌", size=20)
    summaries = body["summaries"]
    assert summaries and body["page"]["total_summaries"] >= len(summaries)
    assert body["page"]["total_summaries"] < body["page"]["total_evidence"]
    for st in summaries:
        assert st.keys() >= SUMMARY_KEYS
        assert st["count"] == len(st["evidence"]) >= 1
        levels = [e["level"] for e in st["evidence"] if e["direction"] == "supports"] or [
            e["level"] for e in st["evidence"]
        ]
        assert st["best_level"] == min(levels, key=LEVELS.index)
        assert set(st["pmids"]) == {c["pmid"] for e in st["evidence"] for c in e["citations"] if c["text"] is None}
        assert st["tumor_relation"] in ("exact", "family", "other")
        assert all(e["variant_id"] == st["variant_id"] for e in st["evidence"])
        assert all("last_review" in e for e in st["evidence"])
    assert summaries[0]["evidence_type"] == "predictive" and summaries[0]["tumor_relation"] in ("exact", "family")
    assert summaries[0]["tumor"]["name_zh"], "tumor names come with their Chinese name"


def test_statements_page_like_the_articles(api: httpx.Client) -> None:
    first = search(api, "BRAF V600E", size=5)
    second = search(api, "BRAF V600E", size=5, page=2)
    assert len(first["summaries"]) == 5 and second["summaries"]
    assert not {s["id"] for s in first["summaries"]} & {s["id"] for s in second["summaries"]}
    assert first["page"]["total_summaries"] == second["page"]["total_summaries"]


def test_an_assertion_shows_its_tier_guideline_and_approval(api: httpx.Client) -> None:
    body = search(api, "ALK融合 非小细胞肺癌 克唑替尼", size=50)
    cited = [a for st in body["summaries"] for a in st["assertions"]]
    assert cited, "CIViC assertion 3 covers ALK fusions, NSCLC, crizotinib"
    tier_one = [a for a in cited if a["amp_category"].startswith("Tier I")]
    assert tier_one and all(a["nccn_guideline"] for a in tier_one)
    assert all(a["regulatory_approval"] in (True, None) for a in cited)
