"""What changed, in words: one Chinese and one English sentence per "new for you" item.

Accepted evidence reads "新增证据：EGFR C797S 对奥希替尼耐药（非小细胞肺癌，B级）" (gene, variant, the drugs by their
Chinese names from the drug vocabulary, the significance in words from ``significance_words.tsv``, the tumor by
its Chinese name, the level); an article reads "新文献：<title>（PMID …，收录于 2026-11-02）"; a change of a record
doctors follow itself (a reading list) reads "书单更新：<title_zh>". A sentence never shows a raw id alone: a drug or
tumor the vocabularies lack keeps its INN or code, beside the other words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from kb.domain import Article
from kb.editorial.follows import FeedItem
from kb.vocab import Vocabularies
from kb.vocab.tables import authored, read_table

__all__ = ["Sentence", "describe_article", "describe_evidence", "describe_item", "describe_record", "evidence_line"]


@dataclass(frozen=True, slots=True)
class Sentence:
    zh: str
    en: str


@cache
def _significances() -> dict[str, tuple[str, str]]:
    return {r["significance"]: (r["zh"], r["en"]) for r in read_table(authored("significance_words.tsv"))}


def describe_item(item: FeedItem, vocab: Vocabularies) -> Sentence:
    """The sentence of a feed item: its evidence change or its article."""
    if item.article is not None:
        return describe_article(item.article)
    if item.change is not None and item.change.kind != "evidence":
        return describe_record(item.change.kind, item.change.data)
    if item.change is not None:
        return describe_evidence(item.change.data, vocab, updated=item.change.entry_version > 1)
    raise ValueError(f"a feed item of {item.topic} holds neither an article nor a change")


def describe_article(article: Article) -> Sentence:
    title = article.title.strip().rstrip(".") or f"PMID {article.pmid}"
    since = article.first_ingested.date().isoformat() if article.first_ingested else ""
    zh_tail = f"PMID {article.pmid}，收录于 {since}" if since else f"PMID {article.pmid}"
    en_tail = f"PMID {article.pmid}, in the library since {since}" if since else f"PMID {article.pmid}"
    return Sentence(f"新文献：{title}（{zh_tail}）", f"New article: {title} ({en_tail})")


def describe_record(kind: str, data: Mapping[str, Any]) -> Sentence:
    """The sentence of a published change of a record doctors follow itself (``Kind.follow_changes``): a reading
    list, by its title ("书单更新：EGFR突变非小细胞肺癌：关键研究")."""
    if kind != "reading_list":
        raise ValueError(f"no sentence for a change of a {kind} record")
    zh = str(data.get("title_zh") or data.get("id") or "")
    return Sentence(f"书单更新：{zh}", f"Reading list updated: {data.get('title_en') or zh}")


def describe_evidence(data: Mapping[str, Any], vocab: Vocabularies, *, updated: bool = False) -> Sentence:
    """The sentence of an evidence record as the editorial change holds it (the record's dict)."""
    line = evidence_line(data, vocab)
    head_zh, head_en = ("证据更新", "Evidence updated") if updated else ("新增证据", "New evidence")
    return Sentence(f"{head_zh}：{line.zh}", f"{head_en}: {line.en}")


def evidence_line(data: Mapping[str, Any], vocab: Vocabularies) -> Sentence:
    """An evidence record in one line, without a heading: "EGFR T790M 对奥希替尼敏感（非小细胞肺癌，B级）"."""
    what_zh, what_en = _variant(data)
    sig = str(data.get("significance") or "na")
    sig_zh, sig_en = _significances().get(sig, (sig.replace("_", " "), sig.replace("_", " ")))
    inns = [str(d) for d in data.get("drugs") or ()]
    joint = data.get("drug_interaction") == "combination"
    if inns:
        drugs_zh = ("+" if joint else "、").join(_drug_zh(vocab, d) for d in inns)
        drugs_en = (" + " if joint else ", ").join(_drug_en(vocab, d) for d in inns)
        body_zh, body_en = f"{what_zh} 对{drugs_zh}{sig_zh}", f"{what_en}, {sig_en} to {drugs_en}"
    else:
        body_zh, body_en = f"{what_zh}：{sig_zh}", f"{what_en}: {sig_en}"
    tumor_zh, tumor_en = _tumor(data, vocab)
    level = str(data.get("level") or "")
    note_zh = "，".join(x for x in (tumor_zh, f"{level}级" if level else "") if x)
    note_en = ", ".join(x for x in (tumor_en, f"level {level}" if level else "") if x)
    return Sentence(body_zh + (f"（{note_zh}）" if note_zh else ""), body_en + (f" ({note_en})" if note_en else ""))


def _variant(data: Mapping[str, Any]) -> tuple[str, str]:
    gene = str(data.get("gene") or "")
    alt = data.get("alteration") or {}
    name = str(alt.get("name") or "")
    if alt.get("kind") == "fusion" and alt.get("partner"):
        name = f"{alt['partner']}-{alt.get('gene') or gene} fusion"
    en = str(alt.get("label") or name)
    zh = str(alt.get("label_zh") or en)
    gene = gene or str(alt.get("gene") or "")

    def with_gene(text: str) -> str:
        return text if not gene or gene.upper() in text.upper() else f"{gene} {text}".strip()

    return with_gene(zh), with_gene(en)


def _drug_zh(vocab: Vocabularies, inn: str) -> str:
    drug = vocab.drugs.drugs.get(inn)
    return (drug.name_zh or drug.name or inn) if drug else inn


def _drug_en(vocab: Vocabularies, inn: str) -> str:
    drug = vocab.drugs.drugs.get(inn)
    return (drug.name or inn).lower() if drug else inn


def _tumor(data: Mapping[str, Any], vocab: Vocabularies) -> tuple[str, str]:
    code = data.get("tumor_code")
    tumor = vocab.tumors.by_code(str(code)) if code else None
    if tumor is not None:
        return tumor.name_zh or tumor.name, tumor.name
    disease = str(data.get("disease") or code or "")
    return disease, disease
