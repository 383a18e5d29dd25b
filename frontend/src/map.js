// The relationship map: codes within one or two hops, drawn with cytoscape.js.
import cytoscape from "cytoscape";
import { gql, limits } from "./api.js";
import { fill, h, sourceLabel } from "./dom.js";

// One colour per RelationKind of the schema (colour-blind-safe Okabe-Ito palette).
export const KIND_COLOURS = {
  ADD_ON_OF: "#0072B2",
  BUNDLED_INTO: "#E69F00",
  MUTUALLY_EXCLUSIVE_WITH: "#D55E00",
  PACKAGED_UNDER: "#CC79A7",
  ALTERNATIVE_TO: "#009E73",
};
const FIRED = "#111111";

// The server prices a query by the list sizes it may return (its cost budget): the map asks for
// at most MAP_CODES codes, and for their edges in batches small enough to stay within the budget.
const MAP_CODES = 60;
const EDGES_PER_CODE = 40;
const CODES_PER_EDGE_QUERY = 30;

const EDGE = `kind from { code } to { code } effective end note modifierIndicator editType
  sources { title publisher quarter confidence confidenceRank }`;
const NEIGHBOURHOOD = `query Neighbourhood($code: String!, $depth: Int!, $asOf: Date) {
  code(code: $code, asOf: $asOf) { code title isAddOn
    related(depth: $depth, first: ${MAP_CODES}, asOf: $asOf) { depth code { code title isAddOn } path { kind from { code } to { code } } } } }`;
const EDGES = `query Edges($codes: [String!]!, $asOf: Date) {
  codes(codes: $codes, asOf: $asOf) { code relationships(first: ${EDGES_PER_CODE}, asOf: $asOf) { ${EDGE} } } }`;
const LOWEST_RANK = `query Ranks { release { sources { confidenceRank } } }`;

const edgeId = (e) => `${e.kind}:${e.from.code}>${e.to.code}`;
const label = (text) => text.toLowerCase().replaceAll("_", " ");

export class RelationshipMap {
  /**
   * @param {HTMLElement} container where the graph is drawn
   * @param {HTMLElement} details where hovered edges and paths are described
   * @param {(code: string) => void} onNavigate called with a clicked code
   */
  constructor(container, details, onNavigate) {
    this.details = details;
    this.onNavigate = onNavigate;
    this.paths = new Map();
    this.fired = new Set();
    this.lowestRank = null;
    this.cy = cytoscape({
      container,
      minZoom: 0.3,
      maxZoom: 3,
      style: [
        { selector: "node", style: {
          label: "data(id)", "text-valign": "center", "text-halign": "center", "font-size": 13, "font-weight": 600,
          width: 50, height: 50, "background-color": "#eef2f7", "border-width": 2, "border-color": "#5b6b7f", color: "#1b2430" } },
        { selector: "node.addon", style: { shape: "round-rectangle" } },
        { selector: "node.centre", style: { "background-color": "#1b2430", color: "#ffffff", width: 58, height: 58, "border-color": "#1b2430" } },
        { selector: "node.depth2", style: { opacity: 0.85, "border-style": "dotted" } },
        { selector: "node.on-path", style: { "border-color": FIRED, "border-width": 4 } },
        { selector: "edge", style: {
          width: 2.5, "curve-style": "bezier", "target-arrow-shape": "triangle", "arrow-scale": 1.1,
          "line-color": "data(colour)", "target-arrow-color": "data(colour)" } },
        { selector: "edge.symmetric", style: { "target-arrow-shape": "none" } },
        { selector: "edge.contested", style: { "line-style": "dashed", "line-dash-pattern": [7, 5] } },
        { selector: "edge.ended", style: { opacity: 0.35 } },
        { selector: "edge.on-path", style: { width: 5 } },
        { selector: "edge.fired", style: { width: 6, "underlay-color": "#FFD23F", "underlay-opacity": 0.9, "underlay-padding": 5 } },
        { selector: "node.fired", style: { "underlay-color": "#FFD23F", "underlay-opacity": 0.9, "underlay-padding": 6 } },
      ],
    });
    // Reachable from the page (and its tests) without a global: the map's element holds its graph.
    container.cytoscape = this.cy;
    // The panel changes size with the window and with the claim results beside it: keep the drawing inside.
    new ResizeObserver(() => { this.cy.resize(); this.cy.fit(undefined, 24); }).observe(container);
    this.cy.on("tap", "node", (event) => this.onNavigate(event.target.id()));
    this.cy.on("mouseover", "edge", (event) => this.describeEdge(event.target.data("edge")));
    this.cy.on("mouseover", "node", (event) => this.describePath(event.target.id()));
    this.cy.on("mouseout", "node, edge", () => this.clearPath());
  }

  /** The confidence rank below which no source in the release falls: edges resting on it alone are contested. */
  async loadLowestRank() {
    const { data } = await gql(LOWEST_RANK);
    const ranks = data.release.sources.map((s) => s.confidenceRank);
    this.lowestRank = ranks.length ? Math.min(...ranks) : null;
  }

  /** Draw the neighbourhood of `code` at `depth` (1 or 2) as of `asOf` (null: today). */
  async show(code, depth, asOf) {
    if (this.lowestRank === null) await this.loadLowestRank();
    const { data } = await gql(NEIGHBOURHOOD, { code, depth, asOf: asOf || null });
    const centre = data && data.code;
    this.cy.elements().remove();
    this.paths = new Map();
    if (!centre) return { nodes: 0, edges: 0 };
    const maxCodes = limits.maxCodes || 100;
    const reached = centre.related.slice(0, maxCodes - 1);
    const nodes = [{ code: centre, depth: 0 }, ...reached];
    for (const r of reached) this.paths.set(r.code.code, r.path);
    const codes = nodes.map((n) => n.code.code);
    const batches = [];
    for (let i = 0; i < codes.length; i += CODES_PER_EDGE_QUERY) batches.push(codes.slice(i, i + CODES_PER_EDGE_QUERY));
    const answers = await Promise.all(batches.map((batch) => gql(EDGES, { codes: batch, asOf: asOf || null })));
    const known = new Set(codes);
    const edges = new Map();
    for (const entry of answers.flatMap((answer) => answer.data.codes)) {
      for (const e of entry ? entry.relationships : []) {
        if (known.has(e.from.code) && known.has(e.to.code)) edges.set(edgeId(e), e);
      }
    }
    this.cy.add(nodes.map((n) => ({ group: "nodes", data: { id: n.code.code, title: n.code.title, depth: n.depth },
      classes: [n.depth === 0 ? "centre" : `depth${n.depth}`, n.code.isAddOn ? "addon" : ""].join(" ") })));
    this.cy.add([...edges.values()].map((e) => this.edgeElement(e)));
    this.centre = centre.code;
    this.layout();
    this.applyFired();
    return { nodes: nodes.length, edges: edges.size };
  }

  edgeElement(e) {
    const best = Math.max(...e.sources.map((s) => s.confidenceRank), -Infinity);
    const contested = this.lowestRank !== null && e.sources.length > 0 && best <= this.lowestRank;
    const symmetric = e.kind === "MUTUALLY_EXCLUSIVE_WITH";
    return { group: "edges", data: { id: edgeId(e), source: e.from.code, target: e.to.code, colour: KIND_COLOURS[e.kind] || "#777", edge: e },
      classes: [contested ? "contested" : "", symmetric ? "symmetric" : "", e.end ? "ended" : ""].join(" ") };
  }

  layout() {
    this.cy.layout({ name: "concentric", concentric: (n) => 3 - n.data("depth"), levelWidth: () => 1,
      minNodeSpacing: 12, animate: false, padding: 24, fit: false }).run();
    // Rings are round but the panel is wide: stretch them sideways to use its width, then fit.
    const stretch = Math.max(1, Math.min(2.5, this.cy.width() / Math.max(this.cy.height(), 1)));
    const centre = this.cy.getElementById(this.centre);
    const cx = centre.nonempty() ? centre.position("x") : 0;
    this.cy.nodes().positions((n) => ({ x: cx + (n.position("x") - cx) * stretch, y: n.position("y") }));
    this.cy.fit(undefined, 24);
  }

  /** Highlight the edges a claim check fired (each {kind, from: {code}, to: {code}}), adding any not drawn. */
  highlight(relationships) {
    this.fired = new Map(relationships.map((e) => [edgeId(e), e]));
    this.applyFired();
  }

  applyFired() {
    this.cy.elements().removeClass("fired");
    let added = false;
    for (const [id, e] of this.fired || []) {
      let edge = this.cy.getElementById(id);
      if (edge.empty()) {
        for (const end of [e.from.code, e.to.code]) {
          if (this.cy.getElementById(end).empty()) {
            this.cy.add({ group: "nodes", data: { id: end, depth: 2 }, classes: "depth2" });
            added = true;
          }
        }
        edge = this.cy.add(this.edgeElement({ sources: [], ...e }));
      }
      edge.addClass("fired");
      edge.connectedNodes().addClass("fired");
    }
    if (added) this.layout();
  }

  describeEdge(e) {
    fill(this.details,
      h("strong", {}, `${e.from.code} ${label(e.kind)} ${e.to.code}`),
      e.effective || e.end ? h("span", { className: "muted" }, ` (${e.effective || "…"} to ${e.end || "now"})`) : null,
      e.note ? h("div", {}, e.note) : null,
      h("div", { className: "small" }, "Sources: ", e.sources && e.sources.length ? e.sources.map(sourceLabel).join("; ") : "none"));
  }

  describePath(code) {
    const path = this.paths.get(code) || [];
    this.cy.elements().removeClass("on-path");
    this.cy.getElementById(code).addClass("on-path");
    const steps = path.map((step) => this.cy.getElementById(edgeId(step)));
    steps.forEach((edge) => edge.addClass("on-path"));
    const node = this.cy.getElementById(code);
    if (!path.length) {
      fill(this.details, h("strong", {}, code), " ", node.data("title") || "");
      return;
    }
    fill(this.details,
      h("strong", {}, `${this.centre} → ${code}`), " ", h("span", { className: "muted" }, node.data("title") || ""),
      h("ol", { className: "small" }, steps.map((edge, i) => {
        const e = edge.nonempty() ? edge.data("edge") : { ...path[i], sources: [] };
        return h("li", {}, `${e.from.code} ${label(e.kind)} ${e.to.code} — `, e.sources.length ? e.sources.map(sourceLabel).join("; ") : "sources not drawn");
      })));
  }

  clearPath() {
    this.cy.elements().removeClass("on-path");
  }
}

/** The legend: one swatch per kind, and what dashed, faded and highlighted lines mean. */
export function legend() {
  return h("ul", { className: "legend", "aria-label": "Legend" },
    Object.entries(KIND_COLOURS).map(([kind, colour]) =>
      h("li", { "data-kind": kind }, h("span", { className: "swatch", style: `background:${colour}` }), label(kind))),
    h("li", {}, h("span", { className: "swatch dashed" }), "contested (weakest sources only)"),
    h("li", {}, h("span", { className: "swatch fired" }), "fired by the claim"));
}
