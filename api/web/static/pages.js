// Doctors' pages: gene, tumor, drug and biomarker pages, the article view, "new for you" and sign-in.

import { call, get, saveSession, session } from "./api.js";
import { articleItem, conceptTag, editLink, entityHref, errorMessage, evidenceTable, followButton, message, pager, searchHref, section, testsPanel } from "./components.js";
import { h, link, marked, replace, when } from "./dom.js";
import { label, t } from "./i18n.js";
import { readingPanel } from "./reading.js";
import { regulatorySection } from "./regulatory.js";

function facts(rows) {
  const shown = rows.filter(([, value]) => value && (!Array.isArray(value) || value.length));
  return h("dl", { class: "facts" }, shown.map(([key, value]) =>
    [h("dt", {}, t(key)), h("dd", {}, Array.isArray(value) ? value.map((v, i) => [i ? ", " : "", v]) : value)]));
}

function header(kind, key, title, subtitle, navigate) {
  return h("header", { class: "entity-head" },
    h("p", { class: `tag c-${kind}` }, t(`type.${kind}`), " ", editLink(kind, key)),
    h("h1", {}, title, subtitle ? h("small", {}, subtitle) : ""),
    h("div", { class: "actions" }, followButton(kind, key, navigate), " ",
      h("a", { class: "button", href: searchHref(key) }, t("entity.search")), " ",
      h("a", { class: "atom", type: "application/atom+xml", href: `/v1/topics/${kind}/${encodeURIComponent(key)}/feed.atom` }, t("entity.atom"))));
}

async function loadOr(main, path) {
  replace(main, message(t("loading")));
  try {
    return await get(path);
  } catch (exc) {
    replace(main, errorMessage(exc));
    return null;
  }
}

async function relatedSearch(q) {
  try {
    return await get("/v1/search", { q, size: 10, highlight: "true" });
  } catch {
    return null;
  }
}

const GENE_EVIDENCE = 20;
const GENE_ARTICLES = 10;

// A paged part of an entity page: the first page comes with the page, later ones replace the part in
// place (the page number is kept in the address as `param`, so a reload or a shared link opens it).
function pagedPart(id, param, size, first, page, fetchPage, body) {
  const part = h("div", { class: "paged", dataset: { page } });
  const show = (data, p) => {
    part.dataset.page = p;
    replace(part, body(data, p), pager(p, size, data.total, go, id));
  };
  const go = async (p) => {
    part.setAttribute("aria-busy", "true");
    part.querySelectorAll(".pager button").forEach((b) => { b.disabled = true; });
    try {
      show(await fetchPage(p), p);
      const url = new URL(location.href);
      if (p > 1) url.searchParams.set(param, p);
      else url.searchParams.delete(param);
      history.replaceState(history.state, "", url);
    } catch (exc) {
      replace(part, errorMessage(exc));
    } finally {
      part.removeAttribute("aria-busy");
    }
  };
  show(first, page);
  return part;
}

function pageParam(params, name) {
  return Math.max(1, Number.parseInt(params.get(name) || "1", 10) || 1);
}

// A gene: its names, all of its evidence and the literature tagged with it, a page at a time, and its tests.
export async function geneView(main, key, navigate, params = new URLSearchParams()) {
  const path = `/v1/genes/${encodeURIComponent(key)}`;
  const evidencePage = pageParam(params, "evidence_page");
  const articlePage = pageParam(params, "articles_page");
  const evidenceOf = (p) => get(`${path}/evidence`, { page: p, size: GENE_EVIDENCE });
  const articlesOf = (p) => get(`${path}/articles`, { page: p, size: GENE_ARTICLES, highlight: "true" });
  replace(main, message(t("loading")));
  let gene, evidence, articles, catalogue;
  try {
    [gene, evidence, articles, catalogue] = await Promise.all([get(path), evidenceOf(evidencePage), articlesOf(articlePage), get("/v1/tests")]);
  } catch (exc) {
    replace(main, errorMessage(exc));
    return;
  }
  const tests = catalogue.items.filter((test) => test.genes.includes(gene.symbol));
  const articleList = (data, p) => data.items.length
    ? h("ol", { class: "articles", start: (p - 1) * GENE_ARTICLES + 1 }, data.items.map(articleItem))
    : message(t("articles.none"));
  replace(main,
    header("gene", gene.symbol, gene.symbol, label(gene, "name") || gene.name, navigate),
    h("div", { class: "results" },
      h("div", { class: "primary" },
        facts([["gene.synonyms", gene.synonyms_zh || []], ["gene.aliases", gene.aliases], ["gene.previous", gene.previous_symbols], ["HGNC", gene.hgnc_id]]),
        section("evidence", t("evidence.title"), h("p", { class: "count" }, t("gene.evidence", { n: evidence.total })),
          pagedPart("evidence-pages", "evidence_page", GENE_EVIDENCE, evidence, evidencePage, evidenceOf, (data) => evidenceTable(data.items))),
        section("articles", t("articles.title"),
          h("p", { class: "count" }, t(articles.capped ? "gene.articlesCapped" : "gene.articles", { n: articles.total })),
          pagedPart("article-pages", "articles_page", GENE_ARTICLES, articles, articlePage, articlesOf, articleList)),
        readingPanel(gene.reading_lists)),
      testsPanel(tests.map((test) => ({ ...test, matched_genes: [gene.symbol] })))));
}

async function entityWithSearch(main, kind, head, details, q) {
  const related = await relatedSearch(q);
  replace(main, head,
    h("div", { class: "results" },
      h("div", { class: "primary" }, details,
        section("evidence", t("evidence.title"), evidenceTable(related ? related.evidence : [])),
        section("articles", t("articles.title"),
          related && related.articles.length ? h("ol", { class: "articles" }, related.articles.map(articleItem)) : message(t("articles.none")))),
      testsPanel(related ? related.tests : [])));
}

export async function tumorView(main, key, navigate) {
  const tumor = await loadOr(main, `/v1/tumors/${encodeURIComponent(key)}`);
  if (!tumor) return;
  const ref = (r) => link(entityHref("tumor", r.code), label(r, "name"));
  await entityWithSearch(main, "tumor",
    header("tumor", tumor.code, label(tumor, "name"), `${tumor.code} · ${lang2(tumor)}`, navigate),
    [facts([["tumor.tissue", tumor.tissue], ["tumor.parent", tumor.parent ? ref(tumor.parent) : ""],
      ["tumor.children", tumor.children.map(ref)], ["tumor.synonyms", [...tumor.synonyms_zh, ...tumor.synonyms]]]),
    readingPanel(tumor.reading_lists)],
    tumor.code);
}

function lang2(record) {
  // the name in the other language, as a subtitle
  return label(record, "name") === record.name ? record.name_zh : record.name;
}

export async function drugView(main, key, navigate) {
  const drug = await loadOr(main, `/v1/drugs/${encodeURIComponent(key)}`);
  if (!drug) return;
  await entityWithSearch(main, "drug",
    header("drug", drug.inn, label(drug, "name"), lang2(drug), navigate),
    [facts([["drug.brands", [...drug.brands_zh, ...drug.brands]], ["drug.synonyms", [...new Set([...(drug.synonyms_zh || []), ...drug.synonyms])]],
      ["drug.members", drug.members], ["drug.targets", drug.target_genes.map((g) => link(entityHref("gene", g), g))]]),
    await regulatorySection(drug.inn), readingPanel(drug.reading_lists)],
    drug.inn);
}

// A biomarker (MSI-H, TMB-H, PD-L1 ...): its definition and cut-offs, related genes, evidence and the tests that report it.
export async function biomarkerView(main, key, navigate) {
  const marker = await loadOr(main, `/v1/biomarkers/${encodeURIComponent(key)}`);
  if (!marker) return;
  const sign = { ">=": "≥", "<=": "≤", ">": ">", "<": "<" };
  const cutoff = (c) => `${c.score} ${sign[c.op] || c.op} ${c.value}${c.unit === "%" ? "%" : c.unit ? ` ${c.unit}` : ""}`;
  replace(main,
    header("biomarker", marker.id, marker.id, label(marker, "name"), navigate),
    h("div", { class: "results" },
      h("div", { class: "primary" },
        facts([["biomarker.definition", label(marker, "definition")], ["biomarker.cutoffs", marker.cutoffs.map(cutoff)],
          ["biomarker.genes", marker.genes.map((g) => link(entityHref("gene", g), g))],
          ["biomarker.synonyms", [...marker.synonyms_zh, ...marker.synonyms]], ["biomarker.source", marker.source]]),
        section("evidence", t("evidence.title"), h("p", { class: "count" }, t("biomarker.evidence", { n: marker.evidence_count })),
          evidenceTable(marker.top_evidence)),
        readingPanel(marker.reading_lists)),
      testsPanel(marker.tests.map((test) => ({ ...test, matched_biomarkers: [marker.id] })))));
}

export async function articleView(main, pmid) {
  replace(main, message(t("loading")));
  let article;
  try {
    article = await get(`/v1/articles/${encodeURIComponent(pmid)}`, { highlight: "true" });
  } catch (exc) {
    // evidence may cite an article the library does not hold: say so and link to PubMed
    const pubmed = /^\d+$/.test(pmid) ? h("p", {}, h("a", { href: `https://pubmed.ncbi.nlm.nih.gov/${pmid}/`, rel: "noopener noreferrer", target: "_blank" }, t("article.pubmed"), ` (PMID ${pmid})`)) : "";
    replace(main, exc.status === 404 ? message(t("article.missing")) : errorMessage(exc), pubmed);
    return;
  }
  const marks = article.highlights;
  replace(main,
    h("article", { class: "article-view", lang: "en" },
      h("p", { class: "back" }, h("a", { href: "#", onclick: (e) => { e.preventDefault(); history.back(); } }, "← ", t("article.back"))),
      h("h1", {}, marks ? marked(article.title, marks.title) : article.title),
      h("p", { class: "meta" }, [article.journal, article.pub_date || article.year, `PMID ${article.pmid}`].filter(Boolean).join(" · "), " · ",
        h("a", { href: `https://pubmed.ncbi.nlm.nih.gov/${article.pmid}/`, rel: "noopener noreferrer", target: "_blank" }, t("article.pubmed")),
        article.doi ? [" · ", h("a", { href: `https://doi.org/${article.doi}`, rel: "noopener noreferrer", target: "_blank" }, `doi:${article.doi}`)] : "",
        article.entrez_date ? [" · ", h("span", { class: "entrez", lang: document.documentElement.lang }, t("article.entered"), " ", h("time", { datetime: article.entrez_date }, article.entrez_date))] : ""),
      h("h2", {}, t("article.abstract")),
      h("div", { class: "abstract" }, marks ? marked(marks.text, marks.text_spans) : article.abstract),
      article.concepts.length ? [h("h2", {}, t("article.concepts")), h("div", { class: "tags" }, article.concepts.map((c) => conceptTag(c, article.concept_names || [])))] : "",
      article.mesh_terms.length ? [h("h2", {}, t("article.mesh")), h("p", { class: "mesh" }, article.mesh_terms.join("; "))] : ""));
}

// An item of "new for you", marked 新 when it came after the reader's last visit (`new`).
function feedItem(item) {
  const line = feedLine(item);
  if (item.new) {
    line.classList.add("is-new");
    line.prepend(h("span", { class: "new-mark" }, t("feed.newMark")), " ");
  }
  return line;
}

function feedLine(item) {
  const [kind, key] = item.topic.includes(":") ? item.topic.split(":", 2) : ["", item.topic];
  const topic = kind ? link(entityHref(kind, key), h("span", { class: `tag c-${kind}` }, key)) : item.topic;
  // what changed, in words (text_zh / text_en), linked to the article or to the topic's search
  const text = h("span", { class: "feed-text" }, label(item, "text_en", "text_zh"));
  if (item.type === "article") {
    return h("li", { class: "feed-item", dataset: { type: "article", pmid: item.pmid } }, topic, " ", h("a", { href: `/article/${item.pmid}` }, text));
  }
  if (item.type === "reading_list") {
    const href = `/reading/${encodeURIComponent(item.reading_list_id)}`;
    return h("li", { class: "feed-item", dataset: { type: "reading_list", list: item.reading_list_id } },
      link(href, h("span", { class: "tag c-reading" }, t("type.reading_list"))), " ", h("a", { href }, text), " ", when(item.published_at));
  }
  return h("li", { class: "feed-item", dataset: { type: "evidence", evidence: item.evidence_id } }, topic, " ",
    h("a", { href: searchHref(key || item.topic) }, text), " ", when(item.published_at));
}

export async function feedPreview() {
  if (!session()) return "";
  try {
    const feed = await get("/v1/feed", { limit: 5 });
    if (!feed.items.length) return "";
    return section("feed-preview", t("home.new"), h("ul", { class: "feed" }, feed.items.map(feedItem)),
      h("p", {}, link("/feed", t("nav.feed"), " →")));
  } catch {
    return "";
  }
}

export async function feedView(main, navigate) {
  if (!session()) return navigate(`/login?next=${encodeURIComponent("/feed")}`, { replace: true });
  const feed = await loadOr(main, "/v1/feed?limit=50");
  if (!feed) return;
  const unfollow = (f) => async () => {
    await call(`/v1/follows/${f.kind}/${encodeURIComponent(f.key)}`, { method: "DELETE" });
    await feedView(main, navigate);
  };
  replace(main,
    h("h1", {}, t("feed.title")),
    section("follows", t("feed.follows"), feed.follows.length
      ? h("ul", { class: "follows" }, feed.follows.map((f) => h("li", {}, link(entityHref(f.kind, f.key), h("span", { class: `tag c-${f.kind}` }, f.key)), " ",
        h("button", { type: "button", class: "small", onclick: unfollow(f) }, t("unfollow")))))
      : message(t("feed.none"))),
    section("feed", t("home.new"),
      feed.items.length ? [h("p", { class: "count feed-since" }, feed.last_visit
        ? t("feed.since", { n: feed.new, date: when(feed.last_visit) }) : t("feed.first", { n: feed.items.length })),
      h("ul", { class: "feed" }, feed.items.map(feedItem))] : message(t("feed.empty"))),
    subscribePanel());
  call("/v1/feed/seen", { method: "POST" }).catch(() => {}); // read now: the next visit marks only what comes after
}

// The doctor's secret Atom feed URL: made (or replaced) on a click and shown once, revoked on another.
function subscribePanel() {
  const out = h("div", { class: "feed-url" }, message(t("feed.subscribe.hint")));
  const show = (made) => replace(out,
    h("label", { for: "feed-url-input" }, t("feed.subscribe.url")), " ",
    h("input", { id: "feed-url-input", type: "url", readonly: true, value: made.url, onfocus: (e) => e.target.select() }),
    message(t("feed.subscribe.once")));
  const act = (method, done) => async () => {
    try {
      done((await call("/v1/feeds/token", { method })).data);
    } catch (exc) {
      replace(out, errorMessage(exc));
    }
  };
  return section("subscribe", t("feed.subscribe"), out,
    h("button", { type: "button", id: "feed-url-make", onclick: act("POST", show) }, t("feed.subscribe.make")), " ",
    h("button", { type: "button", id: "feed-url-revoke", class: "small", onclick: act("DELETE", () => replace(out, message(t("feed.subscribe.revoked")))) },
      t("feed.subscribe.revoke")));
}

// Where to go after signing in: a path on this site only. The browser's own URL parser decides
// (it reads "/\evil.example/" and "/\t/evil" as "//evil.example"); a backslash, encoded or not,
// a control character, or anything that leaves the origin goes home.
function sameSite(next) {
  if (!next || !next.startsWith("/") || /[\\\u0000-\u001f]|%5c/i.test(next)) return "/";
  const url = new URL(next, location.origin);
  const path = `${url.pathname}${url.search}${url.hash}`;  // "/.//evil" reads as the path "//evil"
  return url.origin === location.origin && !path.startsWith("//") ? path : "/";
}

export async function loginView(main, params, navigate, onChange) {
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "login" },
    h("h1", {}, t("login.title")),
    h("label", {}, t("login.username"), h("input", { name: "username", autocomplete: "username", required: true })),
    h("label", {}, t("login.password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, t("login.submit")), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { username: form.username.value, password: form.password.value };
    try {
      const { data } = await call("/v1/auth/login", { method: "POST", body });
      saveSession({ ...data, username: body.username });
      onChange();
      navigate(sameSite(params.get("next")), { replace: true });
    } catch (exc) {
      error.textContent = t("login.failed", { message: exc.message });
    }
  });
  replace(main, form);
}
