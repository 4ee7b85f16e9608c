// Editors' pages: the review queue, one submission side by side with its published entry
// (accept or reject with a comment), the entry editor, and the content-gap report.

import { call, get, hasRole, EDITOR_ROLES, REVIEW_ROLES } from "./api.js";
import { errorMessage, message, searchHref, section } from "./components.js";
import { h, link, replace, when } from "./dom.js";
import { t } from "./i18n.js";

const KINDS = ["evidence", "test", "gene", "tumor", "drug"];

// Fields shown first for each kind: the Chinese names and synonyms of the vocabularies lead.
const FIRST = {
  gene: ["name_zh", "synonyms_zh", "name", "aliases", "previous_symbols"],
  tumor: ["name_zh", "synonyms_zh", "name", "synonyms"],
  drug: ["name_zh", "synonyms_zh", "brands_zh", "name", "synonyms", "brands"],
  test: ["name_zh", "name", "genes", "indications", "description_zh", "description"],
  evidence: ["gene", "alteration", "tumor_code", "drugs", "evidence_type", "direction", "significance", "level", "citations", "statement"],
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
};

const KEY_FIELD = { evidence: "id", test: "id", gene: "symbol", tumor: "code", drug: "inn" };

function show(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join("\n");
  return typeof value === "object" ? JSON.stringify(value, null, 1) : String(value);
}

function tabs(current) {
  const tab = (href, key) => h("a", { href, class: current === key ? "tab active" : "tab", "aria-current": current === key ? "page" : null }, t(key));
  return h("nav", { class: "tabs" }, tab("/editor", "editor.queue"), tab("/editor?state=draft", "editor.drafts"),
    tab("/editor/edit", "editor.edit"), tab("/editor/gaps", "editor.gaps"));
}

function guard(main) {
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
    h("td", {}, link(`/editor/review/${s.id}`, `#${s.id}`)), h("td", {}, t(`kind.${s.kind}`)), h("td", {}, s.key),
    h("td", {}, s.reason), h("td", {}, `#${s.author_id}`), h("td", {}, when(s.updated_at))));
  replace(main, h("h1", {}, t("editor.title")), tabs(state === "draft" ? "editor.drafts" : "editor.queue"),
    subs.length
      ? h("table", { class: "queue" }, h("thead", {}, h("tr", {}, ["#", "editor.kind", "editor.key", "editor.reason", "editor.author", "editor.updated"]
        .map((k) => h("th", { scope: "col" }, k === "#" ? k : t(k))))), h("tbody", {}, rows))
      : message(t("editor.none")));
}

function diffTable(diff) {
  if (!diff.length) return message(t("editor.nodiff"));
  return h("table", { class: "diff" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("editor.field")), h("th", { scope: "col" }, t("editor.before")), h("th", { scope: "col" }, t("editor.after")))),
    h("tbody", {}, diff.map((d) => h("tr", { dataset: { field: d.field } },
      h("th", { scope: "row" }, d.field), h("td", { class: "before" }, h("pre", {}, show(d.before))), h("td", { class: "after" }, h("pre", {}, show(d.after)))))));
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
    h("p", { class: "meta" }, `${t("editor.author")} #${sub.author_id} · ${when(sub.updated_at)}`, sub.reason ? ` · ${t("editor.reason")}: ${sub.reason}` : ""),
    sub.review_comment ? h("p", { class: "review-comment" }, `${t("editor.comment")}: ${sub.review_comment}`) : "",
    diffTable(sub.diff),
    sub.state === "accepted" && sub.kind === "evidence" ? h("p", {}, link(searchHref(String(sub.data.gene || sub.key)), t("entity.search"))) : "",
    section("comments", t("editor.comments"),
      sub.comments.length ? h("ul", { class: "comments" }, sub.comments.map((c) => h("li", {}, h("span", { class: "k" }, `#${c.author_id} ${when(c.created_at)}: `), c.text))) : "",
      open ? [comment, h("div", { class: "actions" }, ...actions, h("button", { type: "button", onclick: addComment }, t("editor.addComment")))] : "",
      status));
}

function fieldInput(name, value) {
  const long = typeof value === "string" && (value.length > 80 || /description|statement/.test(name));
  const list = Array.isArray(value) && value.every((v) => typeof v !== "object");
  let input;
  if (typeof value === "boolean") input = h("input", { type: "checkbox", name, checked: value });
  else if (typeof value === "number") input = h("input", { type: "number", name, value });
  else if (list || long || (value !== null && typeof value === "object")) input = h("textarea", { name, rows: list ? Math.max(2, value.length + 1) : 4 }, show(value));
  else input = h("input", { name, value: show(value) });
  input.dataset.shape = list ? "list" : value === null ? "null" : typeof value;
  const hint = list ? t("editor.lines") : input.dataset.shape === "object" ? t("editor.json") : "";
  return h("label", { class: "field" }, h("span", {}, name, hint ? h("small", {}, ` (${hint})`) : ""), input);
}

function readField(input) {
  const shape = input.dataset.shape;
  if (shape === "boolean") return input.checked;
  if (shape === "number") return input.value === "" ? null : Number(input.value);
  if (shape === "list") return input.value.split("\n").map((v) => v.trim()).filter(Boolean);
  if (shape === "object") return JSON.parse(input.value || "null");
  if (shape === "null") return input.value === "" ? null : input.value;
  return input.value;
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
  if (!kind || !key) return replace(main, tabs("editor.edit"), picker);
  let data;
  let isNew = false;
  try {
    data = (await get(`/v1/entries/${kind}/${encodeURIComponent(key)}`)).data;
  } catch (exc) {
    if (exc.status !== 404) return replace(main, tabs("editor.edit"), picker, errorMessage(exc));
    data = { [KEY_FIELD[kind]]: key, ...structuredClone(TEMPLATES[kind]) };
    isNew = true;
  }
  const keyField = KEY_FIELD[kind];
  const names = [...new Set([...FIRST[kind].filter((f) => f in data), ...Object.keys(data)])].filter((f) => f !== keyField);
  const status = h("p", { class: "error", role: "alert" });
  const reason = h("textarea", { name: "reason", rows: 2, maxlength: 2000, "aria-label": t("editor.reason") });
  const form = h("form", { class: "entry" },
    h("h1", {}, `${isNew ? t("editor.new") : t("editor.edit")}: ${t(`kind.${kind}`)} ${key}`),
    names.map((name) => fieldInput(name, data[name])),
    h("label", { class: "field" }, h("span", {}, t("editor.reason")), reason),
    h("div", { class: "actions" },
      h("button", { type: "submit", value: "save" }, t("editor.save")),
      h("button", { type: "submit", value: "submit", class: "primary" }, t("editor.submit"))),
    status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const record = { ...data };
    try {
      for (const input of form.querySelectorAll("[data-shape]")) record[input.name] = readField(input);
    } catch (exc) {
      status.textContent = t("error", { message: exc.message });
      return;
    }
    try {
      const created = await call("/v1/submissions", { method: "POST", body: { kind, key, data: record, reason: reason.value } });
      if (event.submitter && event.submitter.value === "submit") {
        await call(`/v1/submissions/${created.data.id}/submit`, { method: "POST", etag: created.etag });
      }
      navigate(`/editor/review/${created.data.id}`);
    } catch (exc) {
      status.textContent = t("error", { message: exc.message });
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
