// The /v1 API from the browser: one fetch wrapper, the signed-in session, one error type.

const SESSION = "genekb.session";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function session() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION) || "null");
    if (s && new Date(s.expires_at) > new Date()) return s;
  } catch { /* a damaged entry is the same as none */ }
  localStorage.removeItem(SESSION);
  return null;
}

export function saveSession(s) { localStorage.setItem(SESSION, JSON.stringify(s)); }
export function endSession() { localStorage.removeItem(SESSION); }

export const EDITOR_ROLES = ["curator", "editor", "admin"];
export const REVIEW_ROLES = ["editor", "admin"];
export function hasRole(roles) { const s = session(); return Boolean(s && roles.includes(s.role)); }

// Returns {data, etag}; throws ApiError with the API's {"error": {code, message}} shape.
export async function call(path, { method = "GET", params, body, etag, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== "") url.searchParams.append(key, v);
  }
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
  if (response.status === 401 && s) endSession();
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(response.status, err.code || String(response.status), err.message || response.statusText, err.details);
  }
  return { data, etag: (response.headers.get("ETag") || "").replaceAll('"', "") };
}

export async function get(path, params, options = {}) {
  return (await call(path, { ...options, params })).data;
}
