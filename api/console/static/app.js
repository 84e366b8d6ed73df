// The console's entry: signing in and out, loading what the key may see,
// and following changes live. Everything goes through the public API.

import { Api, ApiError, allTenants } from "./api.js";
import { renderNav, searchTenants } from "./tree.js";
import { renderTenant } from "./tenant.js";

// sessionStorage: the key lives as long as this tab, never on disk for
// other tabs or later visits, and never in an address or a log.
const KEY = "seatledger.key";
const POLL_WAIT_MS = 9000;
const MAX_TREES = 25;
const $ = (id) => document.getElementById(id);

const state = {
  api: null,
  position: 0, // every event up to here is in what the page shows
  tenants: new Map(), // id -> listed tenant, with the key's `actions`
  nodes: new Map(), // id -> tree node, with its pools
  roots: [],
  selected: null,
  search: "",
  chart: { pool: null, days: 30 },
  billing: { month: null, latest: null, subtenants: false }, // see billing.js
  generation: 0, // a sign-out ends the loops of the session before it
};

const ctx = { state, refresh, read, select, signOut };

async function signIn(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  const error = $("sign-in-error");
  error.textContent = "";
  if (!key) {
    error.textContent = "Enter an API key.";
    return;
  }
  try {
    await new Api(key).get("/v1/tenants", { limit: 1 });
  } catch (e) {
    error.textContent = e instanceof ApiError && e.status === 401
      ? "The service refused this key: it is unknown or was revoked."
      : `The service could not be reached (${e.message}).`;
    return;
  }
  sessionStorage.setItem(KEY, key);
  $("api-key").value = "";
  start(key);
}

function start(key) {
  state.api = new Api(key);
  state.generation += 1;
  state.position = 0;
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("sign-out").hidden = false;
  setLive("Loading…");
  const generation = state.generation;
  refresh().then(() => follow(generation), (e) => failed(e));
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  state.generation += 1;
  state.api = null;
  state.tenants = new Map();
  $("workspace").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("tree").replaceChildren();
  $("tenant").replaceChildren();
  setLive("");
  $("sign-in-error").textContent = typeof message === "string" ? message : "";
  $("api-key").focus();
}

// Long poll: a projection read with `min_position` answers as soon as
// anything newer than what is shown was applied (409 `projection_behind`
// means nothing yet). Every role may read projections, so this works for
// analysts too, who may not read /v1/events.
async function follow(generation) {
  while (generation === state.generation) {
    try {
      const page = await state.api.get("/v1/tenants", {
        limit: 1,
        min_position: state.position + 1,
        wait_ms: POLL_WAIT_MS,
      });
      if (generation !== state.generation) return;
      await refresh(page.position);
    } catch (e) {
      if (generation !== state.generation) return;
      if (e instanceof ApiError && e.code === "projection_behind") continue;
      if (failed(e)) return;
      await new Promise((resume) => setTimeout(resume, 1000));
    }
  }
}

// True when the session is over (the key stopped working).
function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    signOut("The key stopped working (revoked?). Sign in again.");
    return true;
  }
  setLive(`Could not reach the service (${e.message}); retrying…`);
  return false;
}

let running = null;
let again = false;

// Loads everything shown, at least up to `position`. Calls that arrive
// while one runs are folded into one more run after it.
function refresh(position = 0) {
  state.position = Math.max(state.position, position);
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        await load();
      } while (again);
    } finally {
      running = null;
    }
  })();
  return running;
}

async function load() {
  const generation = state.generation;
  const listed = await allTenants(state.api, caughtUp());
  if (generation !== state.generation) return;
  state.position = Math.max(state.position, listed.position);
  state.tenants = new Map(listed.tenants.map((t) => [t.tenant_id, t]));
  state.roots = listed.tenants.filter((t) => !state.tenants.has(t.parent_id));
  const wanted = fromHash();
  if (wanted && state.tenants.has(wanted)) state.selected = wanted;
  if (!state.tenants.has(state.selected)) {
    state.selected = state.roots.length ? state.roots[0].tenant_id : null;
  }
  // One /tree read per root gives every pool for the tree's badges; with
  // many roots (an operator's), only the selected tenant's tree is read.
  const badged = state.roots.length <= MAX_TREES
    ? state.roots
    : state.roots.filter((t) => t.tenant_id === rootOf(state.selected));
  const trees = await Promise.all(
    badged.map((t) => read(`/v1/tenants/${t.tenant_id}/tree`)),
  );
  state.nodes = new Map(trees.flatMap((t) => t.tenants).map((n) => [n.tenant_id, n]));
  await renderNav(ctx);
  await renderTenant(ctx);
  const time = new Date().toLocaleTimeString();
  setLive(`Live: up to date at position ${state.position} (${time})`);
}

function caughtUp() {
  return state.position ? { min_position: state.position, wait_ms: 3000 } : {};
}

// A projection read that shows at least what the page already showed; if
// that part of the projection lags (a Kafka partition), the latest it has.
async function read(path, query = {}) {
  try {
    return await state.api.get(path, { ...query, ...caughtUp() });
  } catch (e) {
    if (e instanceof ApiError && e.code === "projection_behind") {
      return state.api.get(path, query);
    }
    throw e;
  }
}

function rootOf(tenantId) {
  let tenant = state.tenants.get(tenantId);
  while (tenant && state.tenants.has(tenant.parent_id)) {
    tenant = state.tenants.get(tenant.parent_id);
  }
  return tenant ? tenant.tenant_id : null;
}

function fromHash() {
  const match = /^#tenant=([0-9a-f-]{36})$/.exec(window.location.hash);
  return match ? match[1] : null;
}

function select(tenantId) {
  if (tenantId === state.selected) return;
  state.selected = tenantId;
  if (state.roots.length > MAX_TREES) {
    refresh().catch(failed); // the selected tenant's tree is read anew
    return;
  }
  renderNav(ctx);
  renderTenant(ctx).catch(failed);
}

function setLive(text) {
  $("live").textContent = text;
}

function boot() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  window.addEventListener("hashchange", () => {
    const wanted = fromHash();
    if (wanted && state.tenants.has(wanted)) select(wanted);
  });
  let typing = null;
  $("search").addEventListener("input", (event) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.search = event.target.value.trim();
      searchTenants(ctx).catch(failed);
    }, 200);
  });
  const key = sessionStorage.getItem(KEY);
  if (key) start(key);
  else $("api-key").focus();
}

boot();
