// Calls to the JSON API from pages: the session's CSRF token, an idempotency key per
// action (so a retry after a network drop never acts twice), and errors as readable text.

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details; // what a refusal carries for the page to act on (error.details)
  }
}

export function newKey(prefix = "web") {
  // crypto.randomUUID needs a secure context; office LANs often serve plain http.
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return prefix + "-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function csrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/**
 * @param {string} method
 * @param {string} path
 * @param {object|undefined} body
 * @param {{key?: string, retries?: number, token?: string, onRetry?: Function}} options
 *   `key`: Idempotency-Key (give one to make retries safe); `retries`: attempts after a
 *   network failure or a 503 (only with a key).
 */
export async function api(method, path, body, options = {}) {
  const headers = { "X-CSRF-Token": csrf(), "Accept-Language": document.documentElement.lang };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (options.key) headers["Idempotency-Key"] = options.key;
  if (options.token) headers["Authorization"] = "Bearer " + options.token;
  const retries = options.key ? options.retries ?? 0 : 0;
  const pause = async (attempt) => {
    if (options.onRetry) options.onRetry(attempt + 1);
    await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
  };
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (err) {
      if (attempt >= retries) throw new ApiError(0, "network", err.message);
      await pause(attempt);
      continue;
    }
    if (response.status === 503 && attempt < retries) {
      // The data store was away (a restart): the same key makes the retry safe.
      await pause(attempt);
      continue;
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const err = data.error || {};
      throw new ApiError(response.status, err.code || "error", err.message || response.statusText, err.details || null);
    }
    return data;
  }
}
