// The search box with bilingual autocomplete, and the results page: concept chips (an
// ambiguous one offers its candidates), the evidence as clinical statements, literature and the
// company's tests; a query nothing was understood in gets "did you mean" instead.

import { get } from "./api.js";
import { articleItem, entityHref, errorMessage, evidenceTable, message, pager, searchHref, section, testsPanel } from "./components.js";
import { h, replace } from "./dom.js";
import { label, t } from "./i18n.js";
import { significanceFilter, summaryTable, tumorChoices } from "./summaries.js";

const PAGE_SIZE = 10;

// --- autocomplete -----------------------------------------------------------------------

function currentToken(input) {
  const upto = input.value.slice(0, input.selectionStart ?? input.value.length);
  const match = upto.match(/[^\s,，;；]+$/);
  return match ? { text: match[0], start: upto.length - match[0].length, end: upto.length } : null;
}

function insertText(s) {
  // the name that completed the typed prefix ("HER2阳性乳" -> "HER2阳性乳腺癌"), so the doctor's words stay
  return s.matched || (s.type === "gene" ? s.id : label(s));
}

export function setupAutocomplete(form, input, list, navigate) {
  let active = -1;
  let items = [];
  let pending = null;
  let timer = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((el, i) => el.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) input.setAttribute("aria-activedescendant", `suggest-${index}`);
  };

  const choose = (index) => {
    const s = items[index];
    const token = currentToken(input);
    if (!s || !token) return close();
    const text = insertText(s);
    input.value = `${input.value.slice(0, token.start)}${text} ${input.value.slice(token.end).trimStart()}`;
    const caret = token.start + text.length + 1;
    input.setSelectionRange(caret, caret);
    close();
    input.focus();
  };

  const show = (suggestions) => {
    items = suggestions;
    if (!items.length) return close();
    replace(list, items.map((s, i) =>
      h("li", { id: `suggest-${i}`, role: "option", "aria-selected": "false", dataset: { id: s.id, type: s.type },
        onmousedown: (event) => { event.preventDefault(); choose(i); } },
        h("span", { class: `tag c-${s.type}` }, t(`type.${s.type}`)), " ",
        h("span", { class: "main" }, label(s)), " ",
        h("span", { class: "alt" }, [s.matched !== label(s) ? s.matched : "", s.type === "gene" ? "" : s.id,
          label(s) === s.label ? s.label_zh : s.label].filter((x) => x && x !== label(s)).join(" · ")))));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
  };

  const fetchSuggestions = async () => {
    const token = currentToken(input);
    if (!token || token.text.length < 1) return close();
    pending?.abort();
    pending = new AbortController();
    try {
      const data = await get("/v1/suggest", { q: token.text, limit: 8 }, { signal: pending.signal });
      if (currentToken(input)?.text === token.text) show(data.suggestions);
    } catch (exc) {
      if (exc.name !== "AbortError") close();
    }
  };

  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 120); });
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
    else if (event.key === "Escape") close();
    else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) { event.preventDefault(); choose(active); }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    close();
    const q = input.value.trim();
    if (q) navigate(searchHref(q));
  });
}

// --- results ----------------------------------------------------------------------------

function replaceTerm(q, term, replacement) {
  const at = q.indexOf(term);
  if (at >= 0) return q.slice(0, at) + replacement + q.slice(at + term.length);
  const lower = q.toLowerCase().indexOf(term.toLowerCase());
  return lower >= 0 ? q.slice(0, lower) + replacement + q.slice(lower + term.length) : `${q} ${replacement}`;
}

// The match values that say the text was normalised before it matched (docs/query.md, "Normalisation").
const READ_AS = new Set(["fuzzy", "fullwidth", "traditional", "split", "pinyin", "homophone"]);

// Genes and biomarkers are shown by their id (EGFR, MSI-H), then their name; a biomarker's value after it.
const BY_ID = new Set(["gene", "biomarker"]);

function chip(concept, q, navigate, members = [], by = "") {
  const type = h("span", { class: "type" }, t(`type.${concept.type}`));
  if (concept.type === "drug_class") {  // no page of its own: the chip names the class and holds its drugs
    return h("span", { class: "chip c-drug_class", dataset: { concept: `${concept.type}:${concept.id}` },
      title: members.map((m) => label(m)).join("、") },
      type, h("strong", {}, label(concept)), members.length ? h("small", {}, t("concepts.members", { n: members.length })) : "");
  }
  if (concept.match === "ambiguous") {
    return h("div", { class: `chip c-${concept.type} ambiguous`, role: "group", "aria-label": concept.matched },
      type, h("strong", {}, concept.matched), " ", h("span", {}, t("concepts.ambiguous")),
      (concept.candidates || []).map((candidate) => {
        const text = candidate.replace(":", " ");  // NTRK1:FUSION -> "NTRK1 FUSION", which the parser reads back
        return h("button", { type: "button", class: "candidate", dataset: { candidate },
          onclick: () => navigate(searchHref(replaceTerm(q, concept.matched, text))) }, text);
      }));
  }
  const note = concept.implied
    ? t("concepts.implied", { by: by || (concept.implied_by || "").split(":").pop() })
    : concept.match !== "exact" || concept.matched !== concept.id ? t("concepts.alias", { matched: concept.matched, id: concept.id }) : "";
  // how the doctor's words were read when it took more than the names: 拼音, 繁体, 同音 ...
  const readAs = !concept.implied && READ_AS.has(concept.match)
    ? h("small", { class: "read-as", dataset: { match: concept.match } }, t(`match.${concept.match}`)) : "";
  return h("a", { class: `chip c-${concept.type}${concept.implied ? " implied" : ""}`, href: entityHref(concept.type, concept.id),
    dataset: { concept: `${concept.type}:${concept.id}` } },
    type, h("strong", {}, BY_ID.has(concept.type) ? concept.id : label(concept)),
    BY_ID.has(concept.type) && label(concept) !== concept.id ? h("span", {}, label(concept)) : "",
    concept.value ? h("span", { class: "value" }, concept.value) : "",
    note ? h("small", {}, note) : "", readAs);
}

// An ambiguous gene inside an ambiguous variant ("NTRK" in "NTRK 融合") is one choice, not two.
function covered(concept, all) {
  return concept.match === "ambiguous" && concept.type === "gene" && all.some((other) => other !== concept &&
    other.match === "ambiguous" && other.matched.includes(concept.matched) && other.matched !== concept.matched);
}

// A drug a class brings in is shown inside the class's chip, not as a chip of its own.
const classMember = (c) => c.type === "drug" && c.implied && (c.implied_by || "").startsWith("drug_class:");

function intentChip(intent) {
  return h("span", { class: "chip c-intent", dataset: { intent } }, h("span", { class: "type" }, t("type.intent")),
    h("strong", {}, t(`intent.${intent}`)));
}

function concepts(query, navigate) {
  const key = (c) => `${c.type}:${c.id}`;
  const members = (c) => query.concepts.filter((m) => classMember(m) && m.implied_by === key(c));
  const implier = (c) => query.concepts.find((other) => c.implied && key(other) === c.implied_by && other.type === "drug_class");
  const chips = query.concepts.filter((c) => !covered(c, query.concepts) && !classMember(c))
    .map((c) => chip(c, query.text, navigate, members(c), implier(c) ? label(implier(c)) : ""));
  chips.push(...(query.intents || []).map(intentChip));
  return h("section", { id: "concepts", class: "concepts", "aria-label": t("concepts.title") },
    chips.length ? chips : message(t("concepts.none")),
    query.unresolved.length ? h("p", { class: "unresolved" }, `${t("concepts.unresolved")}: `, query.unresolved.join(" ")) : "");
}

const LEVELS = ["A", "B", "C", "D", "E"];
const TYPES = ["predictive", "prognostic", "diagnostic", "predisposing", "oncogenic", "functional"];

// Level toggles, an evidence-type and a tumor choice (each searches again from page 1), and the
// significance choice over the statements on the page.
function filters(levels, type, tumor, tumors, apply, extra, approved) {
  const toggle = (lv) => apply({ levels: levels.includes(lv) ? levels.filter((x) => x !== lv) : [...levels, lv] });
  const select = h("select", { class: "type-filter", "aria-label": t("filter.type"), onchange: (e) => apply({ type: e.target.value }) },
    h("option", { value: "" }, t("filter.allTypes")),
    TYPES.map((ty) => h("option", { value: ty, selected: ty === type }, t(`etype.${ty}`))));
  const where = h("select", { class: "tumor-filter", "aria-label": t("filter.tumor"), onchange: (e) => apply({ tumor: e.target.value }) },
    h("option", { value: "" }, t("filter.allTumors")),
    tumors.map((tu) => h("option", { value: tu.code, selected: tu.code === tumor }, label(tu, "name"))));
  const china = h("label", { class: "approved-filter", title: t("filter.approvedHint") },
    h("input", { type: "checkbox", checked: approved, onchange: (e) => apply({ approved: e.target.checked }) }), " ", t("filter.approved"));
  return h("div", { class: "filters", role: "group", "aria-label": t("filter.label") },
    LEVELS.map((lv) => h("button", { type: "button", class: `level-toggle lt-${lv}`, "aria-pressed": String(levels.includes(lv)),
      title: t(`level.${lv}`), onclick: () => toggle(lv) }, lv)),
    select, where, china, extra);
}

// The words the doctor typed with one of them replaced by a suggestion (or the suggestion alone).
function suggestedQuery(q, s) {
  const text = BY_ID.has(s.type) ? s.id : label(s);
  return s.matched && q.toLowerCase().includes(s.matched.toLowerCase()) ? replaceTerm(q, s.matched, text) : text;
}

// Nothing understood: no evidence, literature or tests, only what the vocabularies suggest.
function noAnswer(q, suggestions) {
  return h("section", { id: "no-answer", class: "panel no-answer", "aria-labelledby": "no-answer-title" },
    h("h2", { id: "no-answer-title" }, t("empty.title")),
    h("p", { class: "hint" }, t("empty.hint", { q })),
    suggestions.length
      ? [h("p", {}, t("empty.didYouMean")), h("ul", { class: "did-you-mean" }, suggestions.map((s) =>
        h("li", {}, h("a", { href: searchHref(suggestedQuery(q, s)), dataset: { id: s.id, type: s.type } },
          h("span", { class: `tag c-${s.type}` }, t(`type.${s.type}`)), " ", h("strong", {}, BY_ID.has(s.type) ? s.id : label(s)),
          BY_ID.has(s.type) && label(s) !== s.id ? [" ", h("span", {}, label(s))] : ""))))]
      : message(t("empty.none")));
}

export async function searchView(main, params, navigate) {
  const q = (params.get("q") || "").trim();
  const page = Math.max(1, Number.parseInt(params.get("page") || "1", 10) || 1);
  document.getElementById("q").value = q;
  if (!q) return homeView(main);
  const levels = params.getAll("level").filter((lv) => LEVELS.includes(lv));
  const type = TYPES.includes(params.get("evidence_type")) ? params.get("evidence_type") : "";
  const tumor = (params.get("tumor") || "").trim();
  const approved = params.get("approved") === "1";
  replace(main, message(t("loading")));
  let result;
  try {
    result = await get("/v1/search", { q, page, size: PAGE_SIZE, highlight: "true", level: levels, evidence_type: type, tumor,
      approved_in_china: approved ? "true" : "" });
  } catch (exc) {
    replace(main, errorMessage(exc));
    return;
  }
  if (result.understood === false) {
    replace(main, noAnswer(q, result.did_you_mean || []));
    return;
  }
  const here = (changes) => {
    const next = new URLSearchParams({ q });
    for (const lv of changes.levels ?? levels) next.append("level", lv);
    if (changes.type ?? type) next.set("evidence_type", changes.type ?? type);
    if (changes.tumor ?? tumor) next.set("tumor", changes.tumor ?? tumor);
    if (changes.approved ?? approved) next.set("approved", "1");
    if (changes.page > 1) next.set("page", changes.page);
    return `/search?${next}`;
  };
  const go = (p) => navigate(here({ page: p }));
  const summaries = result.summaries || [];
  const total = Math.max(result.page.total_articles, result.page.total_summaries ?? result.page.total_evidence);
  const table = approved && !summaries.length ? message(t("filter.approvedNone"))
    : summaries.length || !result.evidence.length ? summaryTable(summaries) : evidenceTable(result.evidence);
  replace(main,
    concepts(result.query, navigate),
    h("div", { class: "results" },
      h("div", { class: "primary" },
        section("evidence", t("evidence.title"),
          h("p", { class: "count" }, t("summary.count", { n: result.page.total_summaries ?? summaries.length, items: result.page.total_evidence })),
          filters(levels, type, tumor, tumorChoices(result.query, summaries, tumor), (changes) => navigate(here(changes)),
            significanceFilter(summaries, table, params.get("sig") || ""), approved),
          table),
        section("articles", t("articles.title"), h("p", { class: "count" }, t("articles.count", { n: result.page.total_articles })),
          result.articles.length ? h("ol", { class: "articles", start: (page - 1) * PAGE_SIZE + 1 }, result.articles.map(articleItem)) : message(t("articles.none"))),
        pager(page, PAGE_SIZE, total, go)),
      testsPanel(result.tests)));
}

const EXAMPLES = ["EGFR T790M 奥希替尼", "HER2阳性乳腺癌", "ALK融合", "BRAF V600E melanoma", "KRAS G12C 肺癌"];

export async function homeView(main, feedPreview) {
  replace(main,
    h("section", { class: "home" },
      h("p", { class: "hint" }, t("home.hint")),
      h("p", { class: "examples" }, `${t("home.examples")}: `,
        EXAMPLES.map((q) => h("a", { href: searchHref(q), class: "example" }, q)))),
    feedPreview ? await feedPreview() : "");
}
