"""Drug classes: ``drug_classes.tsv`` read into :class:`DrugClass` records, and the suffixes their stems take.

A class (``egfr-tki``) has English and Chinese names, *stems* (``EGFR``) that are
read with the suffixes of its *forms* (``EGFR抑制剂``, ``EGFR-TKI``, ``PD-1单抗``),
members (drug ids; a member may name another class, whose members it brings) and
target genes. A generation row of the table (``egfr-tki``, 3) becomes a class of its
own, ``egfr-tki-gen3``, with the names of its class and the members of that
generation only. :func:`load_drug_classes` reads the table once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kb.vocab.tables import authored, read_table

__all__ = ["CLASS_FORMS", "GENERATION_WORDS", "DrugClass", "class_names", "load_drug_classes"]

#: The suffixes each kind of form gives a stem: ``inhibitor`` (EGFR抑制剂, MEK inhibitors), ``tki``
#: (ALK-TKI, 酪氨酸激酶抑制剂) and ``antibody`` (PD-1单抗, 抗PD-L1单克隆抗体, anti-CTLA-4 antibody: the
#: antibody suffixes are also read after 抗 / anti-, and 抗 / anti- before the stem alone).
CLASS_FORMS: dict[str, tuple[str, ...]] = {
    "inhibitor": ("抑制剂", "靶向药", "靶向药物", " inhibitor", " inhibitors"),
    "tki": ("TKI", "TKIs", "酪氨酸激酶抑制剂", " tyrosine kinase inhibitor", " tyrosine kinase inhibitors"),
    "antibody": ("单抗", "单克隆抗体", "抗体", " antibody", " antibodies", " monoclonal antibody", " mAb", " mAbs"),
}
_ANTIBODY_PREFIXES = ("抗", "anti-")

#: How a generation is written before a class name: 三代, 第三代, 3代, third-generation, 3rd generation, 3rd-gen.
GENERATION_WORDS: dict[int, tuple[str, ...]] = {
    n: (f"{zh}代", f"第{zh}代", f"{n}代", f"{en} generation", f"{nth} generation", f"{en} gen", f"{nth} gen")
    for n, zh, en, nth in ((1, "一", "first", "1st"), (2, "二", "second", "2nd"), (3, "三", "third", "3rd"))
}
_ORDINALS = {1: ("first", "一"), 2: ("second", "二"), 3: ("third", "三")}


@dataclass(frozen=True, slots=True)
class DrugClass:
    """One class of ``drug_classes.tsv``, or one generation of it (``generation`` > 0, ``parent`` its class)."""

    id: str
    names_en: tuple[str, ...]
    names_zh: tuple[str, ...]
    stems: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # drug ids, class references expanded
    targets: tuple[str, ...] = ()  # HGNC symbols
    includes: tuple[str, ...] = ()  # the classes its members column names, and theirs
    generation: int = 0
    parent: str = ""
    source: str = ""

    @property
    def label(self) -> str:
        base = self.names_en[0] if self.names_en else self.id
        return f"{_ORDINALS[self.generation][0]}-generation {base}" if self.generation in _ORDINALS else base

    @property
    def label_zh(self) -> str:
        base = self.names_zh[0] if self.names_zh else ""
        return f"第{_ORDINALS[self.generation][1]}代{base}" if base and self.generation in _ORDINALS else base


def class_names(drug_class: DrugClass) -> tuple[str, ...]:
    """Every name of a class as a query may write it (without its generation): the names, English plurals,
    and each stem with the suffixes of the class's forms."""
    out: dict[str, None] = {}
    for name in (*drug_class.names_en, *drug_class.names_zh):
        out[name] = None
        if name.isascii() and not name.endswith(("s", "y")):
            out[f"{name}s"] = None
    for stem in drug_class.stems:
        for form in drug_class.forms:
            for suffix in CLASS_FORMS[form]:
                out[f"{stem}{suffix}"] = None
                if form == "antibody":
                    out.update(dict.fromkeys(f"{prefix}{stem}{suffix}" for prefix in _ANTIBODY_PREFIXES))
            if form == "antibody":
                out.update(dict.fromkeys(f"{prefix}{stem}" for prefix in _ANTIBODY_PREFIXES))
    return tuple(out)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split("|") if part.strip())


@cache
def load_drug_classes(path: Path | None = None) -> tuple[DrugClass, ...]:
    """The classes of ``drug_classes.tsv`` (or a table like it), then one class per generation row.

    An unknown form, a generation row before its class, a generation that is not 1-3 or a class
    reference that loops is an error in the table: ``ValueError``.
    """
    rows = read_table(path or authored("drug_classes.tsv"))
    classes: dict[str, dict[str, str]] = {}
    generations: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
    for row in rows:
        ident, generation = row["class"], row["generation"]
        if not generation:
            unknown = [f for f in _split(row["forms"]) if f not in CLASS_FORMS]
            if unknown:
                raise ValueError(f"drug_classes.tsv: {ident}: unknown form(s) {unknown}; use {sorted(CLASS_FORMS)}")
            classes[ident] = row
            continue
        if ident not in classes or generation not in ("1", "2", "3"):
            raise ValueError(f"drug_classes.tsv: generation {generation!r} of {ident!r} must follow its class (1-3)")
        generations.setdefault(ident, []).append((int(generation), _split(row["members"]), row["source"]))

    def included(ident: str, seen: tuple[str, ...] = ()) -> tuple[str, ...]:
        if ident in seen:
            raise ValueError(f"drug_classes.tsv: class {ident!r} contains itself ({' > '.join([*seen, ident])})")
        out: dict[str, None] = {}
        for member in _split(classes[ident]["members"]):
            if member in classes:
                out.update(dict.fromkeys((member, *included(member, (*seen, ident)))))
        return tuple(out)

    def members(ident: str) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for name in (ident, *included(ident)):
            out.update(dict.fromkeys(m for m in _split(classes[name]["members"]) if m not in classes))
            for _, inns, _ in generations.get(name, ()):
                out.update(dict.fromkeys(inns))
        return tuple(out)

    out: list[DrugClass] = []
    for ident, row in classes.items():
        base = DrugClass(
            id=ident,
            names_en=_split(row["names_en"]),
            names_zh=_split(row["names_zh"]),
            stems=_split(row["stems"]),
            forms=_split(row["forms"]),
            members=members(ident),
            targets=_split(row["targets"]),
            includes=included(ident),
            source=row["source"],
        )
        out.append(base)
        for number, inns, source in generations.get(ident, ()):
            out.append(
                DrugClass(
                    id=f"{ident}-gen{number}",
                    names_en=base.names_en,
                    names_zh=base.names_zh,
                    stems=base.stems,
                    forms=base.forms,
                    members=inns,
                    targets=base.targets,
                    generation=number,
                    parent=ident,
                    source=source,
                )
            )
    return tuple(out)
