"""The weekly digest: the window's accepted evidence and newly ingested articles per topic, in the sentences of
:mod:`kb.editorial.changes_text`, as Markdown (for the editors to send) or HTML (for the web).

The topics are the genes of the evidence accepted in the window and the topics doctors follow (the distinct
topics only: the digest names no doctor and counts no one). An article is listed once, under the first topic
that carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from sqlalchemy import select

from kb.editorial.audit import aware
from kb.editorial.changes_text import Sentence, describe_article, describe_evidence
from kb.editorial.db.models import Change, Follow
from kb.editorial.follows import Follows
from kb.editorial.publish import PENDING
from kb.store.base import Backend
from kb.vocab import Vocabularies

__all__ = ["Digest", "DigestTopic", "digest_html", "digest_markdown", "weekly_digest"]


@dataclass(frozen=True, slots=True)
class DigestTopic:
    topic: str  # gene:EGFR
    name_zh: str
    name_en: str
    evidence: tuple[Sentence, ...]
    articles: tuple[Sentence, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    since: datetime
    until: datetime
    topics: tuple[DigestTopic, ...]


def weekly_digest(
    follows: Follows, index: Backend, vocab: Vocabularies, *, since: datetime, until: datetime, per_topic: int = 20
) -> Digest:
    """What the library gained between ``since`` and ``until``, per topic."""
    evidence: dict[str, list[Sentence]] = {}
    with follows.db.session() as s:
        changes = s.scalars(
            select(Change)
            .where(Change.kind == "evidence", Change.data_version != PENDING, Change.at >= since, Change.at < until)
            .order_by(Change.id.desc())
        )
        for change in changes:
            gene = str(change.data.get("gene") or "")
            text = describe_evidence(change.data, vocab, updated=change.entry_version > 1)
            evidence.setdefault(f"gene:{gene}" if gene else "other", []).append(text)
        followed = [f"{k}:{v}" for k, v in s.execute(select(Follow.kind, Follow.key).distinct())]
    topics = list(dict.fromkeys([*evidence, *sorted(followed)]))
    seen: set[str] = set()
    out = []
    for topic in topics:
        articles = []
        for art in index.newest_articles([topic], limit=per_topic) if topic != "other" else []:
            taken = aware(art.first_ingested) if art.first_ingested else None
            if taken is None or taken < since:
                break  # newest first: the rest are older
            if taken < until and art.pmid not in seen:
                seen.add(art.pmid)
                articles.append(describe_article(art))
        if evidence.get(topic) or articles:
            zh, en = _names(topic, vocab)
            out.append(DigestTopic(topic, zh, en, tuple(evidence.get(topic, ())[:per_topic]), tuple(articles)))
    return Digest(since, until, tuple(out))


def _names(topic: str, vocab: Vocabularies) -> tuple[str, str]:
    kind, _, key = topic.partition(":")
    if kind == "tumor" and (tumor := vocab.tumors.by_code(key)) is not None:
        return tumor.name_zh or tumor.name, tumor.name
    if kind == "drug" and (drug := vocab.drugs.drugs.get(key)) is not None:
        return drug.name_zh or drug.name or key, drug.name or key
    return key or topic, key or topic


def digest_markdown(digest: Digest) -> str:
    lines = [f"# genekb 每周更新 · Weekly digest ({_span(digest)})", ""]
    if not digest.topics:
        lines.append("本期没有新增内容。 Nothing new this week.")
    for topic in digest.topics:
        lines += [f"## {topic.name_zh} · {topic.name_en} (`{topic.topic}`)", ""]
        lines += [f"- {t.zh}  \n  {t.en}" for t in (*topic.evidence, *topic.articles)]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def digest_html(digest: Digest) -> str:
    parts = [f'<article class="digest" lang="zh-CN"><h1>genekb 每周更新 · Weekly digest ({_span(digest)})</h1>']
    if not digest.topics:
        parts.append("<p>本期没有新增内容。 Nothing new this week.</p>")
    for topic in digest.topics:
        parts.append(f'<section data-topic="{escape(topic.topic)}"><h2>{escape(topic.name_zh)} · '
                     f'<span lang="en">{escape(topic.name_en)}</span></h2><ul>')  # fmt: skip
        parts += [f'<li>{escape(t.zh)}<br/><span lang="en">{escape(t.en)}</span></li>'
                  for t in (*topic.evidence, *topic.articles)]  # fmt: skip
        parts.append("</ul></section>")
    parts.append("</article>")
    return "\n".join(parts) + "\n"


def _span(digest: Digest) -> str:
    return f"{digest.since.date().isoformat()} – {digest.until.date().isoformat()}"
