// Pieces shared by the search page, the entity pages and the editor: badges, chips,
// the evidence table, the literature list, the tests panel, the follow button.

import { call, get, hasRole, session, EDITOR_ROLES } from "./api.js";
import { h, link, marked, replace } from "./dom.js";
import { label, t } from "./i18n.js";

export function entityHref(type, id) {
  if (type === "variant") return `/gene/${encodeURIComponent(id.split(":", 1)[0])}`;
  if (type === "reading_list") return `/reading/${encodeURIComponent(id)}`;
  return `/${type}/${encodeURIComponent(id)}`;
}

export function searchHref(q, params = {}) {
  const url = new URLSearchParams({ q, ...params });
  return `/search?${url}`;
}

export function levelBadge(level) {
  return h("span", { class: `level level-${level}`, title: t(`level.${level}`), "aria-label": t(`level.${level}`) }, level);
}

export function section(id, title, ...body) {
  return h("section", { id, class: "panel", "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...body);
}

export function message(text, cls = "hint") {
  return h("p", { class: cls }, text);
}

export function errorMessage(exc) {
  if (exc && exc.status === 404) return message(t("notfound", { what: exc.message }), "error");
  return message(t("error", { message: exc && exc.message ? exc.message : String(exc) }), "error");
}

function drugNames(item) {
  const refs = item.drug_refs && item.drug_refs.length ? item.drug_refs : item.drugs.map((inn) => ({ inn, name: inn, name_zh: "" }));
  return refs.map((d, i) => [i ? ", " : "", link(entityHref("drug", d.inn), label(d, "name"))]);
}

function significance(item) {
  const type = t(`etype.${item.evidence_type}`);
  const sig = item.significance && item.significance !== "na" ? t(`sig.${item.significance}`) : "";
  const not = item.direction === "does_not_support" ? h("span", { class: "not" }, t("evidence.not"), " ") : "";
  return [h("span", { class: "etype" }, type), " ", not, sig];
}

// The statement: an editor's Chinese version first when there is one, the English original on demand.
function statementText(item) {
  if (!item.statement && !item.statement_zh) return "";
  const english = item.statement ? h("p", { lang: "en", class: "statement-en" }, item.statement) : "";
  if (!item.statement_zh) return h("details", {}, h("summary", {}, t("evidence.statement")), english);
  return h("details", { class: "statement", open: true }, h("summary", {}, t("evidence.statement")),
    h("p", { lang: "zh", class: "statement-zh" }, item.statement_zh),
    english ? h("details", { class: "original" }, h("summary", {}, t("evidence.original")), english) : "");
}

// A small "编辑" link to the editor for a signed-in curator, editor or admin; nothing for anyone else.
export function editLink(kind, key) {
  if (!hasRole(EDITOR_ROLES)) return "";
  return h("a", { class: "edit-link", href: `/editor/edit?${new URLSearchParams({ kind, key })}`, title: t("entries.editHint") }, t("entries.edit"));
}

export function evidenceTable(items) {
  if (!items.length) return message(t("evidence.none"));
  const head = ["evidence.level", "evidence.variant", "evidence.tumor", "evidence.drugs", "evidence.significance", "evidence.pmids", "evidence.date"];
  const cell = (key, ...content) => h("td", { "data-label": t(key) }, ...content);
  const rows = items.map((item) =>
    h("tr", { dataset: { evidence: item.id } },
      cell("evidence.level", levelBadge(item.level)),
      cell("evidence.variant", item.gene
        ? [link(entityHref("gene", item.gene), h("strong", {}, item.gene)), " ", h("span", { class: "variant" }, item.variant)]
        : (item.biomarkers || []).map((b, i) => [i ? " / " : "", link(entityHref("biomarker", b), h("strong", { class: "biomarker" }, b))])),
      cell("evidence.tumor", item.tumor ? link(entityHref("tumor", item.tumor.code), label(item.tumor, "name")) : item.disease),
      cell("evidence.drugs", drugNames(item)),
      cell("evidence.significance", significance(item),
        statementText(item)),
      cell("evidence.pmids", item.citations.filter((c) => c.source === "PubMed" && /^\d+$/.test(c.pmid))
        .map((c) => link(`/article/${c.pmid}`, h("span", { class: "pmid" }, c.pmid)))),
      cell("evidence.date", h("span", { class: "date" }, item.last_review || "—"), " ", editLink("evidence", item.id)),
    ));
  return h("table", { class: "evidence" },
    h("thead", {}, h("tr", {}, head.map((key) => h("th", { scope: "col" }, t(key))))),
    h("tbody", {}, rows));
}

// A concept tag (tumor:NSCLC) by its name in the page's language when the answer names it (concept_names).
export function conceptTag(id, names = []) {
  const [type, ...rest] = id.split(":");
  const named = names.find((n) => n.concept === id);
  return link(entityHref(type, rest.join(":")), h("span", { class: `tag c-${type}`, title: named && rest.join(":") },
    named ? label(named, "name") : rest.join(" ")));
}

export function articleItem(article) {
  const marks = article.highlights;
  const title = marks ? marked(article.title, marks.title) : article.title;
  const snippet = marks && marks.text
    ? h("p", { class: "snippet", lang: "en" }, marks.clipped_start ? "… " : "", marked(marks.text, marks.text_spans), marks.clipped_end ? " …" : "")
    : "";
  return h("li", { class: "article", dataset: { pmid: article.pmid } },
    h("a", { class: "title", href: `/article/${article.pmid}`, lang: "en" }, title),
    h("div", { class: "meta" }, [article.journal, article.year, `PMID ${article.pmid}`].filter(Boolean).join(" · ")),
    snippet,
    h("div", { class: "tags" }, article.concepts.slice(0, 8).map((c) => conceptTag(c, article.concept_names || []))));
}

// The genes the query asked for first (bold), then a few more and how many are left.
function testGenes(test, shown = 12) {
  const matched = test.genes.filter((g) => test.matched_genes.includes(g));
  const others = test.genes.filter((g) => !test.matched_genes.includes(g));
  const rest = others.slice(0, Math.max(0, shown - matched.length));
  const more = others.length - rest.length;
  return [matched.map((g) => [h("strong", {}, g), " "]), rest.join(" "), more > 0 ? ` +${more}` : ""];
}

export function testsPanel(tests) {
  const items = tests.map((test) =>
    h("li", { class: "test", dataset: { test: test.id } },
      h("h3", {}, label(test, "name"), " ", editLink("test", test.id)),
      h("p", { class: "genes" }, h("span", { class: "k" }, t("tests.genes"), ": "), testGenes(test)),
      test.biomarkers && test.biomarkers.length ? h("p", { class: "biomarkers" }, h("span", { class: "k" }, t("tests.biomarkers"), ": "),
        test.biomarkers.map((b) => [(test.matched_biomarkers || []).includes(b) ? h("strong", {}, b) : b, " "])) : "",
      h("p", { class: "reason" }, h("span", { class: "k" }, t("tests.reason"), ": "), label(test, "reason"))));
  return h("aside", { id: "tests", class: "panel tests", "aria-labelledby": "tests-title" },
    h("h2", { id: "tests-title" }, t("tests.title")),
    h("p", { class: "sponsored" }, t("tests.note")),
    items.length ? h("ul", {}, items) : message(t("tests.none")));
}

export function pager(page, size, total, go, name = "pages") {
  const last = Math.max(1, Math.ceil(total / size));
  if (last <= 1) return "";
  return h("nav", { class: "pager", "aria-label": name },
    h("button", { type: "button", disabled: page <= 1, onclick: () => go(page - 1) }, t("page.prev")),
    h("span", {}, t("page.of", { page }), ` / ${last}`),
    h("button", { type: "button", disabled: page >= last, onclick: () => go(page + 1) }, t("page.next")));
}

// Follow / unfollow a gene, tumor or drug; signed-out doctors are sent to the sign-in page.
export function followButton(kind, key, navigate) {
  const button = h("button", { type: "button", class: "follow", "aria-pressed": "false" }, t("follow"));
  if (!session()) {
    button.textContent = t("follow.login");
    button.addEventListener("click", () => navigate(`/login?next=${encodeURIComponent(location.pathname)}`));
    return button;
  }
  let following = false;
  const show = () => {
    button.setAttribute("aria-pressed", String(following));
    button.textContent = following ? t("following") : t("follow");
    button.title = following ? t("unfollow") : "";
  };
  get("/v1/follows").then((follows) => {
    following = follows.some((f) => f.kind === kind && f.key === key);
    show();
  }).catch(() => {});
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (following) await call(`/v1/follows/${kind}/${encodeURIComponent(key)}`, { method: "DELETE" });
      else await call("/v1/follows", { method: "POST", body: { kind, key } });
      following = !following;
      show();
    } catch (exc) {
      replace(button, t("error", { message: exc.message }));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
