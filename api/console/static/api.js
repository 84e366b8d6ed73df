// The only way the console reaches the service: the public API, with the
// signed-in key in the Authorization header (never in an address).

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "http_" + status;
    this.problem = problem;
  }
}

export class Api {
  #key;

  constructor(key) {
    this.#key = key;
  }

  get(path, query) {
    return this.request("GET", path, { query });
  }

  post(path, body) {
    return this.request("POST", path, { body: body ?? {} });
  }

  put(path, body) {
    return this.request("PUT", path, { body });
  }

  delete(path) {
    return this.request("DELETE", path, {});
  }

  async request(method, path, { query, body }) {
    const headers = this.#headers("application/json");
    if (method !== "GET") headers["Idempotency-Key"] = randomId();
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(address(path, query), init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // A file (a CSV report) as a Blob, read like any other: the key in the
  // Authorization header, so saving it never needs the key in a link.
  async file(path, query, type) {
    const init = { headers: this.#headers(type), cache: "no-store", credentials: "omit" };
    const response = await fetch(address(path, query), init);
    if (!response.ok) {
      throw new ApiError(response.status, await response.json().catch(() => ({})));
    }
    return response.blob();
  }

  #headers(accept) {
    return { Authorization: `Bearer ${this.#key}`, Accept: accept };
  }
}

function address(path, query) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") {
      url.searchParams.set(name, String(value));
    }
  }
  return url;
}

// crypto.randomUUID needs a secure context; a console opened over plain
// HTTP on another host name still gets a random idempotency key.
function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Every page of GET /v1/tenants (`query` adds filters and min_position).
export async function allTenants(api, query) {
  const tenants = [];
  let cursor = null;
  let position = 0;
  do {
    const page = await api.get("/v1/tenants", { ...query, limit: 1000, cursor });
    tenants.push(...page.tenants);
    position = page.position;
    cursor = page.next_cursor;
  } while (cursor);
  return { tenants, position };
}
