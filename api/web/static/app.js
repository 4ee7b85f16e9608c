// The pages' entry point: routes paths to views, keeps the header in step with the
// session and the language, and marks when a page's main content is in place
// (performance mark "genekb:content", read by `kb bench ui`).

import { call, endSession, hasRole, keepSession, session, EDITOR_ROLES } from "./api.js";
import { message } from "./components.js";
import { h, replace } from "./dom.js";
import { bulkView } from "./bulk.js";
import { editView, gapsView, historyPage, queueView, reviewView } from "./editor.js";
import { applyShell, lang, setLang, t } from "./i18n.js";
import { articleView, biomarkerView, drugView, feedPreview, feedView, geneView, loginView, tumorView } from "./pages.js";
import { readingListsView, readingListView } from "./reading.js";
import { homeView, searchView, setupAutocomplete } from "./search.js";

const main = document.getElementById("main");

const ROUTES = [
  [/^\/$/, (m, params) => homeView(main, feedPreview)],
  [/^\/search$/, (m, params) => searchView(main, params, navigate)],
  [/^\/gene\/([^/]+)$/, (m, params) => geneView(main, m[1], navigate, params)],
  [/^\/tumor\/([^/]+)$/, (m) => tumorView(main, m[1], navigate)],
  [/^\/drug\/([^/]+)$/, (m) => drugView(main, m[1], navigate)],
  [/^\/biomarker\/([^/]+)$/, (m) => biomarkerView(main, m[1], navigate)],
  [/^\/article\/([^/]+)$/, (m) => articleView(main, m[1])],
  [/^\/feed$/, () => feedView(main, navigate)],
  [/^\/reading$/, (m, params) => readingListsView(main, params)],
  [/^\/reading\/([^/]+)$/, (m) => readingListView(main, m[1], navigate)],
  [/^\/login$/, (m, params) => loginView(main, params, navigate, updateNav)],
  [/^\/editor$/, (m, params) => queueView(main, params)],
  [/^\/editor\/review\/(\d+)$/, (m) => reviewView(main, m[1], navigate)],
  [/^\/editor\/edit$/, (m, params) => editView(main, params, navigate)],
  [/^\/editor\/gaps$/, () => gapsView(main)],
  [/^\/editor\/bulk$/, () => bulkView(main)],
  [/^\/editor\/history$/, (m, params) => historyPage(main, params)],
];

let rendering = 0;

async function render() {
  const ticket = ++rendering;
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  for (const [pattern, view] of ROUTES) {
    const m = path.match(pattern);
    if (!m) continue;
    const decoded = m.map((part) => { try { return decodeURIComponent(part); } catch { return part; } });
    await view(decoded, params);
    if (ticket === rendering) {
      document.body.dataset.ready = path;
      performance.mark("genekb:content");
    }
    return;
  }
  replace(main, message(t("notfound", { what: path }), "error"), h("p", {}, h("a", { href: "/" }, "genekb")));
  document.body.dataset.ready = path;
}

export function navigate(href, { replace = false } = {}) {
  const url = new URL(href, location.origin);
  if (url.origin !== location.origin) { location.href = href; return; }
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.scrollTo(0, 0);
  render();
}

function updateNav() {
  const s = session();
  const login = document.getElementById("nav-login");
  login.textContent = s ? `${t("nav.logout")} (${s.username || s.role})` : t("nav.login");
  login.href = s ? "#" : "/login";
  document.getElementById("nav-logout-all").hidden = !s;
  if (s) document.getElementById("session-ended")?.remove();
  document.getElementById("nav-editor").hidden = !hasRole(EDITOR_ROLES);
  document.getElementById("lang").textContent = t("lang.switch");
  document.getElementById("lang").setAttribute("aria-label", t("lang.label"));
}

// Same-origin links move between pages without reloading.
document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href]");
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || a.target) return;
  if (a.id === "nav-login" && session()) {
    event.preventDefault();
    endSession();
    updateNav();
    navigate("/");
    return;
  }
  const url = new URL(a.href, location.origin);
  if (url.origin !== location.origin || url.pathname.startsWith("/v1/") || url.pathname.startsWith("/static/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

// Sign out everywhere: every token of this account, this page's included, is refused from now on.
document.getElementById("nav-logout-all").addEventListener("click", async () => {
  try {
    await call("/v1/auth/logout-all", { method: "POST" });
  } catch (exc) {
    if (exc.status !== 401) return replace(main, message(t("error", { message: exc.message }), "error"));
  }
  endSession();
  document.getElementById("session-ended")?.remove();
  updateNav();
  navigate("/");
});

// When the session ends under the user (expired, past its time limit, signed out elsewhere), the page
// says so above what it shows, with a sign-in link that comes back to this path.
window.addEventListener("genekb:session-ended", (event) => {
  updateNav();
  document.getElementById("session-ended")?.remove();
  if (location.pathname === "/login") return;
  const next = encodeURIComponent(location.pathname + location.search);
  main.before(h("p", { id: "session-ended", class: "error", role: "alert" },
    t(`session.${event.detail.reason}`), " ", h("a", { href: `/login?next=${next}` }, t("session.signin"))));
});

document.getElementById("lang").addEventListener("click", () => {
  setLang(lang() === "zh" ? "en" : "zh");
  updateNav();
  render();
});

window.addEventListener("popstate", render);
setupAutocomplete(document.getElementById("search"), document.getElementById("q"), document.getElementById("suggest"), navigate);
applyShell();
updateNav();
keepSession();
render();
