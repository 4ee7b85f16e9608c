// The evidence as clinical statements: one line per gene · variant (or biomarker) × tumor × drugs ×
// significance, with its best level, how many items say it and whether they agree, how its tumor stands
// to the query's, the source's assertions (AMP/ASCO/CAP tier, NCCN guideline, FDA approval and companion
// test), the newest review date and the PMIDs. Each line opens into its items (built when first opened).

import { entityHref, evidenceTable, levelBadge, message } from "./components.js";
import { h, link } from "./dom.js";
import { label, lang, t } from "./i18n.js";

const JOIN = { combination: " + ", substitutes: " / ", sequential: " → " };

function variantCell(s) {
  if (s.gene) {
    return [link(entityHref("gene", s.gene), h("strong", {}, s.gene)), " ", h("span", { class: "variant" }, s.variant)];
  }
  return s.biomarkers.map((b, i) => [i ? " / " : "", link(entityHref("biomarker", b), h("strong", { class: "biomarker" }, b))]);
}

function tumorCell(s) {
  const name = s.tumor ? link(entityHref("tumor", s.tumor.code), label(s.tumor, "name")) : s.disease;
  const relation = s.tumor_relation && s.tumor_relation !== "any"
    ? h("span", { class: `relation rel-${s.tumor_relation}`, dataset: { relation: s.tumor_relation } }, t(`relation.${s.tumor_relation}`))
    : "";
  return [name, " ", relation];
}

function drugCell(s) {
  const refs = s.drug_refs.length ? s.drug_refs : s.drugs.map((inn) => ({ inn, name: inn, name_zh: "" }));
  const sep = JOIN[s.drug_interaction] || ", ";
  return refs.map((d, i) => [i ? sep : "", link(entityHref("drug", d.inn), label(d, "name"))]);
}

function meaningCell(s) {
  const sig = s.significance && s.significance !== "na" ? t(`sig.${s.significance}`) : "";
  const not = s.direction === "does_not_support" ? h("span", { class: "not" }, t("evidence.not"), " ") : "";
  return [h("span", { class: "etype" }, t(`etype.${s.evidence_type}`)), " ", not, sig];
}

// "AMP I类 A级" from "Tier I - Level A"; the whole category on hover.
function ampText(category) {
  const m = category.match(/Tier\s+([IV]+)(?:\s*-\s*Level\s+([A-D]))?/i);
  if (!m) return category;
  return m[2] ? t("assertion.ampLevel", { tier: m[1], level: m[2] }) : t("assertion.amp", { tier: m[1] });
}

function assertionBadges(s) {
  const seen = new Set();
  const badges = [];
  const add = (key, text, title) => {
    if (seen.has(key)) return;
    seen.add(key);
    badges.push(h("span", { class: `badge ${key.split(":")[0]}`, title }, text));
  };
  for (const a of s.assertions) {
    if (a.amp_category) add(`amp:${a.amp_category}`, ampText(a.amp_category), `AMP/ASCO/CAP ${a.amp_category} (${a.id})`);
    if (a.nccn_guideline) add(`nccn:${a.nccn_guideline}`, t("assertion.nccn"), `NCCN ${a.nccn_guideline} ${a.nccn_version || ""} (${a.id})`.replace(/\s+/g, " "));
    if (a.regulatory_approval) add("fda-approval", t("assertion.approved"), `${t("assertion.approved")} (${a.id})`);
    if (a.fda_companion_test) add("fda-cdx", t("assertion.cdx"), `${t("assertion.cdx")} (${a.id})`);
  }
  for (const b of s.badges || []) {
    const title = [lang() === "zh" ? b.label_zh : b.label_en, b.detail, ...b.sources].filter(Boolean).join("\n");
    add(`reg-${b.kind}:${b.label_zh}`, lang() === "zh" ? b.label_zh : b.label_en, title);
  }
  return badges.length ? h("span", { class: "assertions" }, badges) : "";
}

function supportCell(s) {
  const against = s.evidence.filter((e) => e.direction === "does_not_support").length;
  const agreement = s.agree
    ? (s.count > 1 ? h("span", { class: "agree" }, t("summary.agree")) : "")
    : h("span", { class: "mixed", title: t("summary.mixedHint") }, t("summary.mixed", { yes: s.count - against, no: against }));
  return [h("span", { class: "n" }, t("summary.items", { n: s.count })), " ", agreement, " ", assertionBadges(s),
    s.last_review ? h("span", { class: "date" }, t("summary.reviewed", { date: s.last_review })) : ""];
}

// Every PMID of the statement, so that any cited article is two clicks from the search box.
function pmidCell(s) {
  return s.pmids.map((p) => link(`/article/${p}`, h("span", { class: "pmid" }, p)));
}

function statement(s, index, columns) {
  const cell = (key, ...content) => h("td", { "data-label": t(key) }, ...content);
  const rowId = `stmt-items-${index}`;
  const items = h("tr", { class: "items", id: rowId, hidden: true });
  const button = h("button", { type: "button", class: "expand small", "aria-expanded": "false", "aria-controls": rowId },
    t("summary.open", { n: s.count }));
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    if (open && !items.firstChild) items.append(h("td", { colspan: columns }, evidenceTable(s.evidence)));
    items.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? t("summary.close") : t("summary.open", { n: s.count });
  });
  const line = h("tr", { class: "line" },
    cell("evidence.level", levelBadge(s.best_level)),
    cell("evidence.variant", variantCell(s)),
    cell("evidence.tumor", tumorCell(s)),
    cell("evidence.drugs", drugCell(s)),
    cell("evidence.significance", meaningCell(s)),
    cell("summary.support", supportCell(s)),
    cell("evidence.pmids", pmidCell(s)),
    h("td", { class: "open" }, button));
  return h("tbody", { class: "statement", dataset: { summary: s.id, significance: s.significance, direction: s.direction } }, line, items);
}

export function summaryTable(summaries) {
  if (!summaries.length) return message(t("evidence.none"));
  const head = ["evidence.level", "evidence.variant", "evidence.tumor", "evidence.drugs", "evidence.significance", "summary.support", "evidence.pmids"];
  return h("table", { class: "summaries" },
    h("thead", {}, h("tr", {}, head.map((key) => h("th", { scope: "col" }, t(key))), h("th", { scope: "col" }, h("span", { class: "sr" }, t("summary.items.title"))))),
    summaries.map((s, i) => statement(s, i, head.length + 1)));
}

// Significance, over the statements on the page: hides the others, keeps the choice in the address.
export function significanceFilter(summaries, table, chosen) {
  const values = [...new Set(summaries.map((s) => s.significance).filter((v) => v && v !== "na"))];
  const shown = h("span", { class: "shown" });
  const apply = (value) => {
    let n = 0;
    for (const body of table.querySelectorAll("tbody.statement")) {
      body.hidden = Boolean(value) && body.dataset.significance !== value;
      if (!body.hidden) n += 1;
    }
    shown.textContent = value ? t("summary.shown", { n, of: summaries.length }) : "";
    const url = new URL(location.href);
    if (value) url.searchParams.set("sig", value);
    else url.searchParams.delete("sig");
    history.replaceState(history.state, "", url);
  };
  const initial = values.includes(chosen) ? chosen : "";
  const select = h("select", { class: "sig-filter", "aria-label": t("filter.significance"), onchange: (e) => apply(e.target.value) },
    h("option", { value: "" }, t("filter.allSignificance")),
    values.map((v) => h("option", { value: v, selected: v === initial }, t(`sig.${v}`))));
  if (initial) apply(initial);
  return [select, shown];
}

// Tumors to narrow the evidence to (server side, descendants included): the query's, the page's, the chosen one.
export function tumorChoices(query, summaries, chosen) {
  const tumors = new Map();
  for (const c of query.concepts) if (c.type === "tumor" && c.match !== "ambiguous") tumors.set(c.id, { code: c.id, name: c.label, name_zh: c.label_zh });
  for (const s of summaries) if (s.tumor && !tumors.has(s.tumor.code)) tumors.set(s.tumor.code, s.tumor);
  if (chosen && !tumors.has(chosen)) tumors.set(chosen, { code: chosen, name: chosen, name_zh: "" });
  return [...tumors.values()];
}
