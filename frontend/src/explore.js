// The code explorer: search, a code card, a relationship map and a claim form, all over the
// public GraphQL API. State lives in the address (?code=&depth=&asOf=) so Back and links work.
import "./explore.css";
import { limits } from "./api.js";
import { showCard } from "./card.js";
import { ClaimForm } from "./claim.js";
import { fill, h } from "./dom.js";
import { legend, RelationshipMap } from "./map.js";
import { setupSearch } from "./search.js";

const $ = (id) => document.getElementById(id);
const status = $("status");
const maxDepth = Math.min(2, limits.maxRelatedDepth || 2);

const state = { code: null, depth: 1, asOf: "" };

function report(error) {
  fill(status, h("span", { className: "error", role: "alert" }, error.message || String(error)));
}

const map = new RelationshipMap($("map"), $("map-details"), (code) => navigate(code));
const claim = new ClaimForm($("claim-form"), $("claim-results"), (edges) => map.highlight(edges));
fill($("legend"), legend());

const depthSelect = $("depth");
fill(depthSelect, Array.from({ length: maxDepth }, (_, i) => h("option", { value: i + 1 }, `depth ${i + 1}`)));
depthSelect.addEventListener("change", () => { state.depth = Number(depthSelect.value); refreshMap(); pushState(); });
$("map-codes").addEventListener("change", (event) => navigate(event.target.value));
$("as-of").addEventListener("change", (event) => { state.asOf = event.target.value; load(); pushState(); });

setupSearch($("search"), $("search-results"), (code) => navigate(code), { maxLength: limits.maxTextLength || 200 });

async function refreshMap() {
  if (!state.code) return;
  try {
    const drawn = await map.show(state.code, state.depth, state.asOf);
    // The map's codes as a list too, so the keyboard reaches every node the mouse can.
    fill($("map-codes"), h("option", { value: "" }, `${map.cy.nodes().length - 1} codes…`),
      map.cy.nodes().filter((n) => n.id() !== state.code).map((n) => h("option", { value: n.id() }, `${n.id()} ${n.data("title") || ""}`)));
    $("map-summary").textContent = `${drawn.nodes} codes, ${drawn.edges} relationships${state.asOf ? ` as of ${state.asOf}` : " today"}`;
  } catch (error) {
    report(error);
  }
}

async function load() {
  if (!state.code) return;
  fill(status);
  document.title = `${state.code} · codingkg explorer`;
  try {
    const found = await showCard($("card"), state.code, state.asOf, (code) => navigate(code));
    if (found) {
      claim.reset(found.code, state.asOf);
      await refreshMap();
    }
  } catch (error) {
    report(error);
  }
}

function pushState(replace = false) {
  const params = new URLSearchParams();
  if (state.code) params.set("code", state.code);
  if (state.depth !== 1) params.set("depth", String(state.depth));
  if (state.asOf) params.set("asOf", state.asOf);
  const url = `${location.pathname}?${params}`;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
}

function readState() {
  const params = new URLSearchParams(location.search);
  state.code = (params.get("code") || "").toUpperCase() || null;
  state.depth = Math.min(maxDepth, Math.max(1, Number(params.get("depth")) || 1));
  state.asOf = /^\d{4}-\d{2}-\d{2}$/.test(params.get("asOf") || "") ? params.get("asOf") : "";
  depthSelect.value = String(state.depth);
  $("as-of").value = state.asOf;
}

function navigate(code) {
  if (!code || code === state.code) return;
  state.code = code;
  $("search").value = code;
  pushState();
  load();
}

window.addEventListener("popstate", () => { readState(); load(); });
readState();
claim.loadPayers().catch(report);
if (state.code) {
  $("search").value = state.code;
  load();
} else {
  fill($("card"), h("p", { className: "muted" }, "Type a code or words of a title above, e.g. 96368 or concurrent."));
}
