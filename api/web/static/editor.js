// Editors' pages: the review queue, one submission side by side with its published entry
// (accept or reject with a comment), the entry editor, and the content-gap report.

import { call, get, hasRole, EDITOR_ROLES, REVIEW_ROLES } from "./api.js";
import { errorMessage, message, searchHref, section } from "./components.js";
import { h, link, replace, when } from "./dom.js";
import { t } from "./i18n.js";
import { entrySearch } from "./entries.js";
import { typedForm } from "./forms.js";
import { diffTable, historyHref, historyView } from "./review.js";

const KINDS = ["evidence", "test", "gene", "tumor", "drug", "biomarker", "reading_list", "regulatory", "guideline"];

// Fields shown first for each kind: the Chinese names and synonyms of the vocabularies lead.
const FIRST = {
  gene: ["name_zh", "synonyms_zh", "name", "aliases", "previous_symbols"],
  tumor: ["name_zh", "synonyms_zh", "name", "synonyms"],
  drug: ["name_zh", "synonyms_zh", "brands_zh", "name", "synonyms", "brands"],
  biomarker: ["name_zh", "synonyms_zh", "name", "synonyms", "group", "definition_zh", "definition"],
  test: ["name_zh", "name", "genes", "indications", "description_zh", "description"],
  evidence: ["gene", "alteration", "tumor_code", "drugs", "evidence_type", "direction", "significance", "level", "citations", "statement"],
  reading_list: ["title_zh", "title_en", "topic_kind", "topic_key", "topics", "note", "items"],
  regulatory: ["drug", "indication_zh", "tumor_codes", "pan_tumor", "nmpa", "nrdl", "fda", "listings", "source", "note"],
  guideline: ["body", "guideline", "year", "version", "grade", "category", "evidence", "alteration", "tumor_code", "drug", "text_zh", "source"],
};

// Empty records to start a new entry from.
const TEMPLATES = {
  evidence: { source: "genekb", source_id: "", gene: "", alteration: { gene: "", kind: "protein_change", name: "", partner: "", exon: null, label: "", label_zh: "" },
    evidence_type: "predictive", direction: "supports", significance: "sensitivity", level: "B", rating: null, tumor_code: "", disease: "",
    doid: "", drugs: [], drug_interaction: "", citations: [], statement: "", variant_origin: "Somatic", status: "accepted", last_review: "" },
  test: { name: "", name_zh: "", genes: [], alteration_kinds: [], indications: [], sample_types: [], method: "NGS", turnaround_days: null,
    published: true, description: "", description_zh: "", biomarkers: [] },
  gene: { hgnc_id: "", name: "", name_zh: "", ncbi_gene_id: "", ensembl_gene_id: "", previous_symbols: [], aliases: [], synonyms_zh: [] },
  tumor: { name: "", name_zh: "", parent: "", main_type: "", tissue: "", level: 1, synonyms: [], synonyms_zh: [], umls: [], nci: [] },
  drug: { name: "", name_zh: "", synonyms: [], synonyms_zh: [], brands: [], brands_zh: [], members: [], targets: [] },
  biomarker: { name: "", name_zh: "", group: "", synonyms: [], synonyms_zh: [], definition: "", definition_zh: "", genes: [] },
  // items in reading order, as JSON: each a "pmid" or an "evidence" id, with a note (Chinese) and note_en
  reading_list: { title_zh: "", title_en: "", topic_kind: "gene", topic_key: "", topics: [], note: "",
    items: [{ pmid: "", evidence: "", note: "", note_en: "" }] },
  // every approval and list entry with its source (docs/regulatory.md); null: not entered
  regulatory: { drug: "", indication_zh: "", tumor_codes: [], pan_tumor: "", nmpa: { source: "", approved_on: null, indication: "" },
    fda: null, nrdl: null, listings: [], source: "", note: "" },
  guideline: { body: "CSCO", guideline: "", year: 2024, version: "", grade: "I", category: "1A", source: "", evidence: [],
    alteration: "", tumor_code: null, drug: "", text_zh: "" },
};

const KEY_FIELD = { evidence: "id", test: "id", gene: "symbol", tumor: "code", drug: "inn", biomarker: "id", reading_list: "id", regulatory: "id", guideline: "id" };

export function tabs(current) {
  const tab = (href, key) => h("a", { href, class: current === key ? "tab active" : "tab", "aria-current": current === key ? "page" : null }, t(key));
  return h("nav", { class: "tabs" }, tab("/editor", "editor.queue"), tab("/editor?state=draft", "editor.drafts"),
    tab("/editor/edit", "editor.edit"), tab("/editor/bulk", "editor.bulk"), tab("/editor/gaps", "editor.gaps"));
}

export function guard(main) {
  if (hasRole(EDITOR_ROLES)) return true;
  replace(main, message(t("editor.forbidden"), "error"), h("p", {}, link(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, t("nav.login"))));
  return false;
}

export async function queueView(main, params) {
  if (!guard(main)) return;
  const state = params.get("state") === "draft" ? "draft" : "submitted";
  let subs;
  try {
    subs = await get("/v1/submissions", { state, limit: 200 });
  } catch (exc) {
    return replace(main, errorMessage(exc));
  }
  const rows = subs.map((s) => h("tr", { dataset: { submission: s.id } },
    h("td", {}, link(`/editor/review/${s.id}`, `#${s.id}`)), h("td", {}, t(`kind.${s.kind}`)),
    h("td", { class: "summary" }, link(`/editor/review/${s.id}`, s.summary || s.key), h("small", { class: "key" }, ` ${s.key}`)),
    h("td", {}, s.reason), h("td", { class: "author" }, s.author || `#${s.author_id}`), h("td", {}, when(s.updated_at))));
  replace(main, h("h1", {}, t("editor.title")), tabs(state === "draft" ? "editor.drafts" : "editor.queue"),
    subs.length
      ? h("table", { class: "queue" }, h("thead", {}, h("tr", {}, ["#", "editor.kind", "editor.summary", "editor.reason", "editor.author", "editor.updated"]
        .map((k) => h("th", { scope: "col" }, k === "#" ? k : t(k))))), h("tbody", {}, rows))
      : message(t("editor.none")));
}

// An entry's history page (/editor/history?kind=&key=), in review.js.
export function historyPage(main, params) {
  return historyView(main, params, guard, tabs);
}

export async function reviewView(main, id, navigate) {
  if (!guard(main)) return;
  let sub, etag;
  try {
    ({ data: sub, etag } = await call(`/v1/submissions/${encodeURIComponent(id)}`));
  } catch (exc) {
    return replace(main, errorMessage(exc));
  }
  const status = h("p", { class: "error", role: "alert" });
  const comment = h("textarea", { name: "comment", rows: 3, maxlength: 2000, "aria-label": t("editor.comment") });
  const act = (action) => async () => {
    try {
      const body = action === "submit" ? undefined : { comment: comment.value };
      await call(`/v1/submissions/${sub.id}/${action}`, { method: "POST", body, etag });
      await reviewView(main, id, navigate);
    } catch (exc) {
      status.textContent = t("error", { message: exc.message });
    }
  };
  const addComment = async () => {
    if (!comment.value.trim()) return;
    try {
      await call(`/v1/submissions/${sub.id}/comments`, { method: "POST", body: { text: comment.value } });
      await reviewView(main, id, navigate);
    } catch (exc) {
      status.textContent = t("error", { message: exc.message });
    }
  };
  const open = sub.state === "submitted" || sub.state === "draft";
  const actions = [];
  if (sub.state === "draft") actions.push(h("button", { type: "button", class: "primary", onclick: act("submit") }, t("editor.submit")));
  if (sub.state === "submitted" && hasRole(REVIEW_ROLES)) {
    actions.push(h("button", { type: "button", class: "primary accept", onclick: act("accept") }, t("editor.accept")),
      h("button", { type: "button", class: "reject", onclick: act("reject") }, t("editor.reject")));
  }
  replace(main, tabs(""),
    h("h1", {}, `#${sub.id} ${t(`kind.${sub.kind}`)} ${sub.key} `, h("span", { class: `state state-${sub.state}` }, t(`editor.${sub.state}`))),
    sub.summary ? h("p", { class: "summary" }, sub.summary) : "",
    h("p", { class: "meta" }, h("span", { class: "author" }, `${t("editor.author")} ${sub.author || `#${sub.author_id}`}`),
      sub.reviewer ? h("span", { class: "reviewer" }, ` · ${t("editor.reviewer")} ${sub.reviewer}`) : "",
      ` · ${when(sub.updated_at)}`, sub.reason ? ` · ${t("editor.reason")}: ${sub.reason}` : "",
      " · ", link(historyHref(sub.kind, sub.key), t("editor.history"))),
    sub.state === "accepted" ? liveState(sub) : "",
    sub.review_comment ? h("p", { class: "review-comment" }, `${t("editor.comment")}: ${sub.review_comment}`) : "",
    diffTable(sub.diff),
    sub.state === "accepted" && sub.kind === "evidence" ? h("p", {}, link(searchHref(String(sub.data.gene || sub.key)), t("entity.search"))) : "",
    section("comments", t("editor.comments"),
      sub.comments.length ? h("ul", { class: "comments" }, sub.comments.map((c) => h("li", {}, h("span", { class: "k" }, `${c.author || `#${c.author_id}`} ${when(c.created_at)}: `), c.text))) : "",
      open ? [comment, h("div", { class: "actions" }, ...actions, h("button", { type: "button", onclick: addComment }, t("editor.addComment")))] : "",
      status));
}

// An accepted change is live once search and the pages show it (`live`); until then the line says so and asks
// again every second, for as long as it is on the page.
function liveState(sub) {
  const line = h("p", { id: "live", role: "status" });
  const show = (s) => {
    line.className = s.live ? "live live-yes" : "live live-no";
    line.textContent = s.live ? `${t("editor.live")} · ${t("editor.liveAt", { version: s.live_at })}` : t("editor.goingLive");
  };
  const poll = async () => {
    if (!line.isConnected) return;
    try {
      const { data } = await call(`/v1/submissions/${sub.id}`);
      show(data);
      if (data.live) return;
    } catch {
      // a failed look stays "going live"; the next second asks again
    }
    setTimeout(poll, 1000);
  };
  show(sub);
  if (!sub.live) setTimeout(poll, 1000);
  return line;
}

export async function editView(main, params, navigate) {
  if (!guard(main)) return;
  const kind = KINDS.includes(params.get("kind")) ? params.get("kind") : "";
  const key = (params.get("key") || "").trim();
  const picker = h("form", { class: "picker", action: "/editor/edit" },
    h("label", {}, t("editor.kind"), h("select", { name: "kind" }, KINDS.map((k) => h("option", { value: k, selected: k === kind }, t(`kind.${k}`))))),
    h("label", {}, t("editor.key"), h("input", { name: "key", value: key, required: true })),
    h("button", { type: "submit" }, t("editor.load")));
  picker.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(`/editor/edit?${new URLSearchParams({ kind: picker.kind.value, key: picker.key.value.trim() })}`);
  });
  if (!kind || !key) return replace(main, tabs("editor.edit"), entrySearch(params.get("q") || ""), picker);
  let data;
  let schema;
  let isNew = false;
  try {
    schema = await get(`/v1/entries/${kind}/schema`);
    data = (await get(`/v1/entries/${kind}/${encodeURIComponent(key)}`)).data;
  } catch (exc) {
    if (exc.status !== 404 || !schema) return replace(main, tabs("editor.edit"), picker, errorMessage(exc));
    data = { [KEY_FIELD[kind]]: key, ...structuredClone(TEMPLATES[kind]) };
    isNew = true;
  }
  const fields = typedForm(schema, data, FIRST[kind]);
  const status = h("p", { class: "error", role: "alert" });
  const reason = h("textarea", { name: "reason", rows: 2, maxlength: 2000, "aria-label": t("editor.reason") });
  const form = h("form", { class: "entry" },
    h("h1", {}, `${isNew ? t("editor.new") : t("editor.edit")}: ${t(`kind.${kind}`)} ${key}`),
    isNew ? "" : h("p", {}, link(historyHref(kind, key), t("editor.history"))),
    fields.el,
    h("label", { class: "field" }, h("span", {}, t("editor.reason")), reason),
    h("div", { class: "actions" },
      h("button", { type: "submit", value: "save" }, t("editor.save")),
      h("button", { type: "submit", value: "submit", class: "primary" }, t("editor.submit"))),
    status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const record = fields.read();
    fields.clearErrors();
    status.textContent = "";
    try {
      const created = await call("/v1/submissions", { method: "POST", body: { kind, key, data: record, reason: reason.value } });
      if (event.submitter && event.submitter.value === "submit") {
        await call(`/v1/submissions/${created.data.id}/submit`, { method: "POST", etag: created.etag });
      }
      navigate(`/editor/review/${created.data.id}`);
    } catch (exc) {
      // the API's field errors beside their fields; anything else (or a field the form lacks) at the bottom
      status.textContent = fields.showErrors(exc) ? t("editor.fieldErrors") : t("error", { message: exc.message });
    }
  });
  replace(main, tabs("editor.edit"), picker, form);
}

export async function gapsView(main) {
  if (!guard(main)) return;
  let report;
  try {
    report = await get("/v1/reports/content-gaps", { top: 50 });
  } catch (exc) {
    return replace(main, tabs("editor.gaps"), errorMessage(exc));
  }
  const table = (id, rows) => rows.length
    ? h("table", { class: "gaps", id }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("gaps.query")), h("th", { scope: "col" }, t("gaps.count")))),
      h("tbody", {}, rows.map(([term, n]) => h("tr", {}, h("td", {}, link(searchHref(term), term)), h("td", { class: "num" }, n)))))
    : message(t("editor.none"));
  replace(main, h("h1", {}, t("editor.title")), tabs("editor.gaps"),
    h("p", { class: "muted" }, t("gaps.min").replace("{n}", String(report.min_doctors))),
    section("zero", t("gaps.zero"), table("gaps-zero", report.zero_result_queries)),
    section("unresolved", t("gaps.unresolved"), table("gaps-unresolved", report.unresolved_terms || [])),
    section("top", t("gaps.top"), table("gaps-top", report.top_terms)));
}
