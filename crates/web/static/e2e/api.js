// The conversation's JSON API, called with the page's session cookie and its CSRF token
// (the API refuses a cookie without the token, so another site cannot call it).
"use strict";

/** A refused call: HTTP status and the problem document's stable `code`. */
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code || "";
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  // Every signed-in page has the sign-out form, which carries the same token.
  const input = document.querySelector('input[name="csrf_token"]');
  return input ? input.value : "";
}

/** Calls `/api/v1<path>`; resolves to the parsed JSON (null for an empty answer). */
export async function call(method, path, body) {
  const headers = { Accept: "application/json", "X-CSRF-Token": csrfToken() };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/api/v1${path}`, init);
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (!res.ok) {
    throw new ApiError(res.status, data && data.code, data && (data.detail || data.title));
  }
  return data;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body === undefined ? {} : body);
export const put = (path, body) => call("PUT", path, body);
export const del = (path) => call("DELETE", path);

/** GET that answers null for a 404 (a thing that does not exist yet). */
export async function find(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}
