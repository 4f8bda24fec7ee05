// Requests to the assetwatch API of this origin, with the session's key; failures by kind.

import { getKey } from "./key.js";

const ROOT = new URL("../../", import.meta.url); // the app's root: /static/explorer/ → /

export class ApiError extends Error {
  // kind: "unauthorized" (401), "forbidden" (403), "not-found" (404), "down" (no answer or
  // 503), "invalid" (422), "failed" (any other status)
  constructor(kind, status, message) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

const KINDS = {
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  422: "invalid",
  503: "down",
};

// GET `path` (e.g. "v1/assets") with `params` (an object; arrays repeat the parameter).
export async function getJson(path, params = {}) {
  const url = new URL(path, ROOT);
  for (const [name, value] of Object.entries(params)) {
    for (const one of [].concat(value)) url.searchParams.append(name, one);
  }
  let response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${getKey()}`, Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiError("down", 0, "the API does not answer");
  }
  if (response.ok) return response.json();
  let detail = response.statusText;
  try {
    const problem = await response.json(); // RFC 9457 problem details
    detail = problem.detail || problem.title || detail;
  } catch {
    // not JSON (a proxy's page, say): the status text it is
  }
  throw new ApiError(KINDS[response.status] || "failed", response.status, detail);
}
