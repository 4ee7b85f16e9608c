// The readable review: the field diff of a submission (long texts as an inline word diff, short fields side by
// side) and an entry's history page (/editor/history?kind=&key=): every published version, who, when, why, its
// diff, and links to its submission and its audit row.

import { get, hasRole, REVIEW_ROLES } from "./api.js";
import { errorMessage, message, section } from "./components.js";
import { h, link, replace, when } from "./dom.js";
import { fieldLabel, t } from "./i18n.js";
import { wordDiff } from "./worddiff.js";

// Fields whose text is compared word by word (Chinese character by character) inline.
const LONG = new Set(["statement", "statement_zh", "note", "notes", "description", "description_zh", "text_zh", "indication_zh", "note_en"]);

function shown(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join("\n");
  return typeof value === "object" ? JSON.stringify(value, null, 1) : String(value);
}

function isLong(d) {
  const text = (v) => v === null || v === undefined || typeof v === "string";
  return text(d.before) && text(d.after) && (LONG.has(d.field) || String(d.before ?? "").length > 80 || String(d.after ?? "").length > 80);
}

export function fieldHead(field) {
  return h("th", { scope: "row", title: field }, fieldLabel(field));
}

// The diff as a table: one row per field; a long text is one cell with the words struck and inserted.
export function diffTable(diff, { before = t("editor.before"), after = t("editor.after") } = {}) {
  if (!diff.length) return message(t("editor.nodiff"));
  return h("table", { class: "diff" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("editor.field")), h("th", { scope: "col" }, before), h("th", { scope: "col" }, after))),
    h("tbody", {}, diff.map((d) => isLong(d)
      ? h("tr", { dataset: { field: d.field }, class: "long" }, fieldHead(d.field), h("td", { colspan: 2, class: "inline" }, wordDiff(d.before, d.after)))
      : h("tr", { dataset: { field: d.field } }, fieldHead(d.field),
        h("td", { class: "before" }, h("pre", {}, shown(d.before))), h("td", { class: "after" }, h("pre", {}, shown(d.after)))))));
}

export function historyHref(kind, key) {
  return `/editor/history?${new URLSearchParams({ kind, key })}`;
}

function versionItem(v, audit) {
  const row = audit.get(v.audit_id);
  const who = v.version === 0 ? t("history.ingested")
    : `${t("editor.author")} ${v.author || "—"} · ${t("history.reviewer")} ${v.reviewer || "—"} · ${when(v.at)}`;
  return h("li", { class: "version", dataset: { version: v.version } },
    h("h2", {}, t("history.version", { n: v.version })),
    h("p", { class: "meta" }, who,
      v.submission_id ? [" · ", link(`/editor/review/${v.submission_id}`, t("history.submission", { id: v.submission_id }))] : "",
      row ? [" · ", h("span", { class: "audit", dataset: { audit: row.id } }, t("history.audit", { id: row.id, action: row.action }))] : ""),
    v.reason ? h("p", { class: "reason" }, `${t("editor.reason")}: ${v.reason}`) : "",
    v.review_comment ? h("p", { class: "review-comment" }, `${t("editor.comment")}: ${v.review_comment}`) : "",
    v.version === 0 ? "" : diffTable(v.diff, { before: t("history.previous"), after: t("history.this") }));
}

export async function historyView(main, params, guard, tabs) {
  if (!guard(main)) return;
  const kind = params.get("kind") || "";
  const key = params.get("key") || "";
  let history;
  let audit = [];
  try {
    history = await get(`/v1/entries/${encodeURIComponent(kind)}/${encodeURIComponent(key)}/history`);
  } catch (exc) {
    return replace(main, tabs(""), errorMessage(exc));
  }
  if (hasRole(REVIEW_ROLES)) {  // curators do not read the audit log; the history stands without it
    try {
      audit = await get("/v1/audit", { target: history.audit_target, limit: 500 });
    } catch {
      audit = [];
    }
  }
  const byId = new Map(audit.map((r) => [r.id, r]));
  replace(main, tabs(""),
    h("h1", {}, `${t("history.title")}: ${t(`kind.${kind}`)} ${key}`),
    h("p", { class: "summary" }, history.summary),
    h("p", {}, link(`/editor/edit?${new URLSearchParams({ kind, key })}`, t("history.edit"))),
    h("ol", { class: "history", reversed: true }, [...history.versions].reverse().map((v) => versionItem(v, byId))),
    audit.length ? section("audit", t("history.auditLog"), h("ul", { class: "audit-log" }, audit.map((r) =>
      h("li", { dataset: { audit: r.id } }, `#${r.id} ${when(r.at)} ${r.actor} ${r.action}`, r.reason ? ` · ${r.reason}` : "")))) : "");
}
