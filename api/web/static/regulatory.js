// A drug's regulatory status per indication (docs/regulatory.md): NMPA and FDA approvals, the national
// reimbursement list and guideline listings, each with its source on hover. An empty cell is a fact no
// editor has entered with a source yet, never a "no".

import { get } from "./api.js";
import { entityHref, message, section } from "./components.js";
import { h, link } from "./dom.js";
import { label, t } from "./i18n.js";

function approvalCell(a) {
  if (!a) return h("span", { class: "none" }, "—");
  return h("span", { class: "approved", title: [a.indication, a.source].filter(Boolean).join("\n") }, "✓ ", a.approved_on || t("reg.noDate"));
}

function nrdlCell(n) {
  if (!n) return h("span", { class: "none" }, "—");
  const text = n.listed ? t("reg.nrdlListed", { year: n.year }) : t("reg.nrdlNot", { year: n.year });
  return h("span", { class: n.listed ? "approved" : "", title: [n.restriction_zh, n.source].filter(Boolean).join("\n") },
    text, n.restriction_zh ? h("small", {}, ` ${t("reg.restricted")}`) : "");
}

function indicationCell(r) {
  const tumors = r.tumors.map((tu, i) => [i ? "、" : "", link(entityHref("tumor", tu.code), label(tu, "name"))]);
  const scope = r.pan_tumor ? t(`reg.scope.${r.pan_tumor}`) : "";
  return [h("strong", {}, r.indication_zh), tumors.length || scope ? h("div", { class: "covers" }, tumors, scope) : ""];
}

export function regulatoryTable(items) {
  if (!items.length) return message(t("reg.none"));
  const head = ["reg.indication", "reg.nmpa", "reg.nrdl", "reg.fda", "reg.listings"];
  const cell = (key, ...content) => h("td", { "data-label": t(key) }, ...content);
  return h("table", { class: "regulatory" },
    h("thead", {}, h("tr", {}, head.map((key) => h("th", { scope: "col" }, t(key))))),
    h("tbody", {}, items.map((r) => h("tr", { dataset: { regulatory: r.id } },
      cell("reg.indication", indicationCell(r)),
      cell("reg.nmpa", approvalCell(r.nmpa)),
      cell("reg.nrdl", nrdlCell(r.nrdl)),
      cell("reg.fda", approvalCell(r.fda)),
      cell("reg.listings", r.listings.map((l) => h("span", { class: "badge reg-listing", title: r.source }, l)))))));
}

// The drug page's section: every indication with a record, NMPA-approved ones first.
export async function regulatorySection(inn) {
  let found;
  try {
    found = await get("/v1/regulatory", { drug: inn, size: 100 });
  } catch {
    found = { items: [] };
  }
  return section("regulatory", t("reg.title"), h("p", { class: "hint" }, t("reg.hint")), regulatoryTable(found.items));
}
