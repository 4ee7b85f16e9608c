// Entry search for editors (GET /v1/entries): find an entry by a word of its key, names, synonyms or statement,
// and open it in the editor (the "编辑" links of evidence rows, entity pages and test cards are editLink in
// components.js).

import { get } from "./api.js";
import { errorMessage, message } from "./components.js";
import { h, link, replace } from "./dom.js";
import { t } from "./i18n.js";

function hitRow(hit) {
  return h("li", { class: "entry-hit", dataset: { kind: hit.kind, key: hit.key } },
    h("span", { class: `tag c-${hit.kind}` }, t(`kind.${hit.kind}`)), " ",
    link(hit.edit, h("strong", {}, hit.key)), " ",
    h("span", {}, hit.label_zh || hit.label),
    hit.matched && hit.matched !== hit.key ? h("small", { class: "matched" }, ` · ${hit.matched}`) : "");
}

// The search box and its results, a page of 20 at a time.
export function entrySearch(initial = "") {
  const input = h("input", { type: "search", name: "q", value: initial, placeholder: t("entries.placeholder"), "aria-label": t("entries.label") });
  const out = h("div", { class: "entry-results", "aria-live": "polite" });
  const run = async (page) => {
    const q = input.value.trim();
    if (!q) return replace(out);
    replace(out, message(t("loading")));
    try {
      const found = await get("/v1/entries", { q, page, size: 20 });
      const more = found.total > page * found.size
        ? h("button", { type: "button", class: "small", onclick: () => run(page + 1) }, t("entries.more")) : "";
      replace(out, found.items.length
        ? [h("p", { class: "count" }, t("entries.count", { n: found.total })), h("ol", { class: "entry-hits", start: (page - 1) * found.size + 1 }, found.items.map(hitRow)), more]
        : message(t("entries.none")));
    } catch (exc) {
      replace(out, errorMessage(exc));
    }
  };
  const form = h("form", { class: "entry-search", role: "search" }, input, h("button", { type: "submit" }, t("entries.find")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(1);
  });
  if (initial) run(1);
  return h("section", { class: "entries" }, form, out);
}
