// Bulk names and synonyms (POST /v1/submissions/bulk): a curator uploads a TSV of Chinese names or synonyms for
// many genes, drugs, tumors or biomarkers; each entry becomes one submitted change for review, and the rows that
// fail are listed with their line and why.

import { call } from "./api.js";
import { errorMessage, message } from "./components.js";
import { h, link, replace } from "./dom.js";
import { t } from "./i18n.js";
import { guard, tabs } from "./editor.js";

const EXAMPLE = "kind\tkey\tname_zh\tsynonyms_zh\tsynonyms\ndrug\tosimertinib\t奥希替尼\t奥西替尼|奥斯替尼\tAZD-9291\n";

function results(body) {
  const submitted = body.submitted.map((s) => h("tr", { dataset: { submission: s.submission_id } },
    h("td", {}, s.lines.join(", ")), h("td", {}, t(`kind.${s.kind}`)), h("td", {}, s.key),
    h("td", {}, link(`/editor/review/${s.submission_id}`, `#${s.submission_id}`))));
  const rejected = body.rejected.map((r) => h("tr", { class: "reject", dataset: { line: r.line } },
    h("td", {}, String(r.line)), h("td", {}, r.kind), h("td", {}, r.key), h("td", {}, r.field ? h("code", {}, r.field) : "", " ", r.reason)));
  const head = (keys) => h("thead", {}, h("tr", {}, keys.map((k) => h("th", { scope: "col" }, t(k)))));
  return h("div", { class: "bulk-results" },
    h("p", { class: "count" }, t("bulk.summary", { submitted: body.submitted.length, rejected: body.rejected.length, unchanged: body.unchanged.length })),
    submitted.length ? h("table", { class: "queue bulk-submitted" }, head(["bulk.lines", "editor.kind", "editor.key", "bulk.submission"]), h("tbody", {}, submitted)) : "",
    rejected.length ? [h("h2", {}, t("bulk.rejected")),
      h("table", { class: "queue bulk-rejected" }, head(["bulk.line", "editor.kind", "editor.key", "bulk.reason"]), h("tbody", {}, rejected))] : "");
}

export function bulkView(main) {
  if (!guard(main)) return;
  const file = h("input", { type: "file", accept: ".tsv,.txt,text/tab-separated-values", "aria-label": t("bulk.file") });
  const text = h("textarea", { name: "tsv", rows: 8, placeholder: EXAMPLE, "aria-label": t("bulk.text") });
  const reason = h("input", { name: "reason", "aria-label": t("editor.reason") });
  const out = h("div", { class: "status", "aria-live": "polite" });
  file.addEventListener("change", async () => {
    if (file.files.length) text.value = await file.files[0].text();
  });
  const form = h("form", { class: "bulk" },
    h("p", { class: "hint" }, t("bulk.hint")),
    h("label", { class: "field" }, h("span", {}, t("bulk.file")), file),
    h("label", { class: "field" }, h("span", {}, t("bulk.text")), text),
    h("label", { class: "field" }, h("span", {}, t("editor.reason")), reason),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("bulk.send"))),
    out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    replace(out, message(t("loading")));
    try {
      const { data } = await call("/v1/submissions/bulk", { method: "POST", body: { tsv: text.value, reason: reason.value } });
      replace(out, results(data));
    } catch (exc) {
      replace(out, errorMessage(exc));
    }
  });
  replace(main, h("h1", {}, t("bulk.title")), tabs("editor.bulk"), form);
}
