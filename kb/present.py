"""A readable terminal rendering of a search result (``kb search``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from kb.search import SearchResult
from kb.vocab import Vocabularies

__all__ = ["print_result"]


def print_result(console: Console, result: SearchResult, vocab: Vocabularies) -> None:
    query = result.query
    console.print(f"[bold]Query:[/] {query.text}")
    concepts = Table("type", "id", "label", "中文", "matched", "match", title="What the keywords mean")
    for c in query.concepts:
        match = c.match + (f" ({', '.join(c.candidates)})" if c.candidates else "")
        match += f" [dim]implied by {c.implied_by}[/]" if c.implied else ""
        concepts.add_row(c.type, c.id, c.label, c.label_zh, c.matched, match)
    console.print(concepts)
    if query.unresolved:
        console.print(f"[yellow]Unresolved:[/] {', '.join(query.unresolved)}")
    evidence = Table("id", "gene", "variant", "tumor", "drugs", "type", "significance", "level", "PMIDs",
                     title=f"Curated evidence ({result.total_evidence})")  # fmt: skip
    for e in result.evidence:
        node = vocab.tumors.nodes.get(e.tumor_code or "")
        tumor = f"{e.tumor_code} {node.name_zh}" if node and node.name_zh else (e.tumor_code or e.disease)
        pmids = ", ".join(c.pmid for c in e.citations if c.pmid)
        evidence.add_row(e.id, e.gene, e.alteration.label or e.alteration.name, tumor, ", ".join(e.drugs),
                         e.evidence_type.value, e.significance, e.level.value, pmids)  # fmt: skip
    console.print(evidence)
    articles = Table("PMID", "year", "score", "title", title=f"Literature ({result.total_articles})")
    for hit in result.articles:
        articles.add_row(hit.article.pmid, str(hit.article.year or ""), f"{hit.score:.2f}", hit.article.title)
    console.print(articles)
    tests = Table("id", "名称", "matched genes", "推荐理由", title="本公司检测项目 / Company tests (sponsored)")
    for rec in result.tests:
        tests.add_row(rec.item.id, rec.item.name_zh, ", ".join(rec.matched_genes), rec.reason_zh)
    console.print(tests)
