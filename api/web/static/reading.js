// Reading lists (书单): the editors' collections of key papers and evidence per topic. The list of lists (/reading,
// ?topic=gene:EGFR narrows it), one list with its items in order (/reading/<id>), and the panel of an entity page.

import { get } from "./api.js";
import { entityHref, errorMessage, followButton, message, section } from "./components.js";
import { h, link, replace } from "./dom.js";
import { label, t } from "./i18n.js";

const title = (rl) => label(rl, "title_en", "title_zh") || rl.title_zh;

function topicTag(topic) {
  const [kind, ...rest] = topic.split(":");
  const key = rest.join(":");
  return link(entityHref(kind, key), h("span", { class: `tag c-${kind}` }, key));
}

function listItem(rl) {
  return h("li", { class: "reading-list", dataset: { list: rl.id } },
    h("a", { class: "title", href: `/reading/${encodeURIComponent(rl.id)}` }, title(rl)),
    h("div", { class: "meta" }, t("reading.count", { n: rl.items }), " · ", rl.topics.map((topic, i) => [i ? " " : "", topicTag(topic)])),
    rl.note ? h("p", { class: "note" }, rl.note) : "");
}

// The reading lists of an entity page's topic (the entity answer's reading_lists); nothing when it has none.
export function readingPanel(lists) {
  if (!lists || !lists.length) return "";
  return section("reading", t("reading.title"), h("ul", { class: "reading-lists" }, lists.map(listItem)));
}

export async function readingListsView(main, params) {
  const topic = params.get("topic") || undefined;
  replace(main, message(t("loading")));
  let found;
  try {
    found = await get("/v1/reading-lists", { topic, size: 100 });
  } catch (exc) {
    replace(main, errorMessage(exc));
    return;
  }
  replace(main,
    h("h1", {}, t("reading.title"), topic ? h("small", {}, " ", topicTag(topic)) : ""),
    found.items.length ? h("ul", { class: "reading-lists" }, found.items.map(listItem)) : message(t("reading.none")));
}

function evidenceHref(item) {
  if (item.gene) return entityHref("gene", item.gene);
  return item.biomarkers.length ? entityHref("biomarker", item.biomarkers[0]) : null;
}

function entry(item) {
  const note = label(item, "note_en", "note") || item.note;
  let body;
  if (item.type === "article") {
    body = item.held
      ? [h("a", { class: "title", href: `/article/${item.pmid}`, lang: "en" }, item.title),
        h("div", { class: "meta" }, [item.journal, item.year, `PMID ${item.pmid}`].filter(Boolean).join(" · "))]
      : [h("a", { class: "title missing", href: `/article/${item.pmid}` }, `PMID ${item.pmid}`), " ", h("span", { class: "hint" }, t("reading.notHeld"))];
  } else {
    const href = evidenceHref(item);
    const text = item.held ? label(item, "summary_en", "summary_zh") : item.evidence_id;
    body = [href ? h("a", { class: "title", href }, text) : h("span", { class: "title" }, text),
      item.held ? h("div", { class: "meta" }, t("reading.evidence"), ` · ${item.evidence_id}`) : h("span", { class: "hint" }, " ", t("reading.missing"))];
  }
  return h("li", { class: `reading-item ${item.type}`, dataset: { type: item.type, held: String(item.held), ref: item.pmid || item.evidence_id } },
    body, note ? h("p", { class: "note" }, note) : "");
}

export async function readingListView(main, id, navigate) {
  replace(main, message(t("loading")));
  let rl;
  try {
    rl = await get(`/v1/reading-lists/${encodeURIComponent(id)}`);
  } catch (exc) {
    replace(main, errorMessage(exc));
    return;
  }
  const other = title(rl) === rl.title_zh ? rl.title_en : rl.title_zh;
  replace(main,
    h("header", { class: "entity-head" },
      h("p", {}, link("/reading", h("span", { class: "tag c-reading" }, t("reading.title")))),
      h("h1", {}, title(rl), other ? h("small", {}, other) : ""),
      h("div", { class: "actions" }, followButton("reading_list", rl.id, navigate), " ", rl.topics.map((topic, i) => [i ? " " : "", topicTag(topic)]))),
    rl.note ? h("p", { class: "intro" }, rl.note) : "",
    section("reading-items", t("reading.items"), h("ol", { class: "reading-items" }, rl.items.map(entry))));
}
