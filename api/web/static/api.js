// The /v1 API from the browser: one fetch wrapper, the signed-in session, one error type.
// A session is renewed (POST /v1/auth/refresh) once past half of its token's idle lifetime: before
// the next API call, or by a timer while the user works (keys, pointer, scrolling), so an open but
// untouched page still lapses. When the API refuses the token, or it lapses in the page, a
// "genekb:session-ended" event says why (expired | ended | signed_out) for the page to tell the user.

const SESSION = "genekb.session";
const REFRESH = "/v1/auth/refresh";
const RENEW_CHECK_MS = 30_000;
let lastActivity = 0;
let renewing = null;

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function session() {
  let s = null;
  try {
    s = JSON.parse(localStorage.getItem(SESSION) || "null");
    if (s && new Date(s.expires_at) > new Date()) return s;
  } catch { /* a damaged entry is the same as none */ }
  localStorage.removeItem(SESSION);
  if (s && s.token) sessionEnded("expired");
  return null;
}

// Kept with the moment it was saved and when to renew it: half-way to its expiry.
export function saveSession(s) {
  const now = Date.now();
  const renewAt = now + (new Date(s.expires_at).getTime() - now) / 2;
  localStorage.setItem(SESSION, JSON.stringify({ ...s, saved_at: now, renew_at: renewAt }));
}
export function endSession() { localStorage.removeItem(SESSION); }

function sessionEnded(reason) {
  const why = ["expired", "ended", "signed_out"].includes(reason) ? reason : "expired";
  queueMicrotask(() => window.dispatchEvent(new CustomEvent("genekb:session-ended", { detail: { reason: why } })));
}

// Past half of the idle lifetime, and the session's end still further than the token's expiry.
function renewDue(s) {
  return Boolean(s && s.renew_at && Date.now() >= s.renew_at
    && (!s.session_expires_at || new Date(s.expires_at) < new Date(s.session_expires_at)));
}

// One renewal at a time; a failed one (offline) is tried again by the next call or tick.
export function renew() {
  const s = session();
  if (!s) return Promise.resolve();
  renewing ||= (async () => {
    try {
      const response = await fetch(REFRESH, { method: "POST", headers: { Accept: "application/json", Authorization: `Bearer ${s.token}` } });
      const data = await response.json().catch(() => null);
      const current = session();
      if (response.ok && data && current && current.token === s.token) saveSession({ ...current, ...data });
      else if (response.status === 401 && current && current.token === s.token) {
        endSession();
        sessionEnded(data && data.error && data.error.details && data.error.details.session);
      }
    } catch { /* offline: tried again later */ }
  })().finally(() => { renewing = null; });
  return renewing;
}

// Renew while the user works: a tick checks whether a renewal is due and the user did something since the token came.
export function keepSession() {
  for (const type of ["keydown", "pointerdown", "pointermove", "scroll", "input"]) {
    window.addEventListener(type, () => { lastActivity = Date.now(); }, { capture: true, passive: true });
  }
  setInterval(() => {
    const s = session();
    if (renewDue(s) && lastActivity >= (s.saved_at || 0)) renew();
  }, RENEW_CHECK_MS);
}

export const EDITOR_ROLES = ["curator", "editor", "admin"];
export const REVIEW_ROLES = ["editor", "admin"];
export function hasRole(roles) { const s = session(); return Boolean(s && roles.includes(s.role)); }

// Returns {data, etag}; throws ApiError with the API's {"error": {code, message}} shape.
export async function call(path, { method = "GET", params, body, etag, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== "") url.searchParams.append(key, v);
  }
  if (url.pathname !== REFRESH && renewDue(session())) await renew();
  const headers = { Accept: "application/json" };
  const s = session();
  if (s) headers.Authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag !== undefined) headers["If-Match"] = `"${etag}"`;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (exc) {
    if (exc.name === "AbortError") throw exc;
    throw new ApiError(0, "network", exc.message);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && s) {
    endSession();
    sessionEnded(data && data.error && data.error.details && data.error.details.session);
  }
  if (!response.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(response.status, err.code || String(response.status), err.message || response.statusText, err.details);
  }
  return { data, etag: (response.headers.get("ETag") || "").replaceAll('"', "") };
}

export async function get(path, params, options = {}) {
  return (await call(path, { ...options, params })).data;
}
