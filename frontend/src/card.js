// The code card: what a coder needs at a glance, every fact with its sources.
import { gql } from "./api.js";
import { fill, h, sourceLabel, sourceList } from "./dom.js";

// Claim types as the schema's ClaimType enum names them (part of the API contract).
export const CLAIM_TYPES = ["PROFESSIONAL", "FACILITY_OUTPATIENT", "FACILITY_INPATIENT", "DME_SUPPLIER"];

const SOURCE = "title publisher quarter confidence";
const CARD = `query Card($code: String!, $asOf: Date) {
  code(code: $code, asOf: $asOf) {
    code title titleSource description system isAddOn family familyTitle effective end
    validPrimaries(asOf: $asOf) { code title }
    addOns(asOf: $asOf) { code title }
    ${CLAIM_TYPES.map((t) => `${t}: mue(claimType: ${t}, asOf: $asOf) { maxUnits adjudication perDateOfService sources { ${SOURCE} } }`).join("\n    ")}
    modifierRules(asOf: $asOf) { modifier applicability reason sources { ${SOURCE} } }
    paymentStatuses(asOf: $asOf) { paymentSystem status meaning payable effective end sources { ${SOURCE} } }
    guidance { kind text sources { ${SOURCE} } }
    sources(asOf: $asOf) { ${SOURCE} }
  }
}`;

const label = (text) => text.toLowerCase().replaceAll("_", " ");

function codeLinks(codes, onNavigate, testId) {
  if (!codes.length) return h("p", { className: "muted" }, "none");
  return h(
    "ul",
    { className: "code-links", "data-testid": testId },
    codes.map((c) =>
      h("li", {}, h("button", { type: "button", className: "link", "data-code": c.code, title: c.title,
        onclick: () => onNavigate(c.code) }, c.code), " ", h("span", { className: "muted" }, c.title)),
    ),
  );
}

function distinctSources(sources) {
  const seen = new Map(sources.map((s) => [sourceLabel(s), s]));
  return [...seen.values()];
}

function section(title, ...children) {
  return h("section", { className: "card-section" }, h("h3", {}, title), ...children);
}

function sourceNote(sources) {
  return sources && sources.length ? h("div", { className: "fact-sources" }, sources.map(sourceLabel).join("; ")) : null;
}

/** Load and draw the card for `code`; resolves to the code's data, or null when it is unknown. */
export async function showCard(element, code, asOf, onNavigate) {
  fill(element, h("p", { className: "muted" }, `Loading ${code}…`));
  const { data, errors } = await gql(CARD, { code, asOf: asOf || null });
  const c = data && data.code;
  if (!c) {
    const reason = errors.length ? errors.map((e) => e.message).join("; ") : `${code} is not valid on ${asOf}`;
    fill(element, h("p", { className: "error", role: "alert" }, reason));
    return null;
  }
  const documentation = c.guidance.filter((g) => g.kind === "documentation");
  const risks = c.guidance.filter((g) => g.kind !== "documentation");
  fill(
    element,
    h("header", { className: "card-head" },
      h("h2", { "data-testid": "card-code" }, c.code, " ", h("span", { className: "muted small" }, c.system)),
      // The AMA licenses CPT descriptors: such codes carry a neutral placeholder, said plainly here.
      h("p", { className: "card-title", "data-testid": "card-title" },
        c.titleSource === "NOT_LICENSED" ? "descriptor not licensed" : c.title || "no descriptor in the source files"),
      h("p", {},
        c.isAddOn ? h("span", { className: "tag addon" }, "add-on code") : h("span", { className: "tag" }, "primary or standalone"),
        c.family ? h("span", { className: "muted small" }, ` family ${c.family}${c.familyTitle ? ` (${c.familyTitle})` : ""}`) : null),
      c.description ? h("p", { className: "small" }, c.description) : null,
      c.effective || c.end ? h("p", { className: "muted small" }, `valid ${c.effective || "…"} to ${c.end || "now"}`) : null),
    c.isAddOn || c.validPrimaries.length ? section("Valid primaries", codeLinks(c.validPrimaries, onNavigate, "valid-primaries")) : null,
    c.addOns.length || !c.isAddOn ? section("Add-on codes", codeLinks(c.addOns, onNavigate, "add-ons")) : null,
    section("MUE by claim type",
      h("table", { className: "facts" },
        h("thead", {}, h("tr", {}, h("th", {}, "claim type"), h("th", {}, "max units"), h("th", {}, "adjudication"))),
        h("tbody", {}, CLAIM_TYPES.map((t) => {
          const m = c[t];
          return h("tr", { "data-claim-type": t }, h("td", {}, label(t)),
            m ? [h("td", {}, m.maxUnits), h("td", {}, m.adjudication ? label(m.adjudication) : "")]
              : h("td", { colspan: 2, className: "muted" }, "no MUE in the graph"));
        }))),
      sourceNote(distinctSources(CLAIM_TYPES.flatMap((t) => (c[t] ? c[t].sources : []))))),
    section("Modifier rules",
      c.modifierRules.length
        ? h("ul", {}, c.modifierRules.map((r) => h("li", {}, h("strong", {}, r.modifier), ` ${label(r.applicability)}: ${r.reason}`, sourceNote(r.sources))))
        : h("p", { className: "muted" }, "none recorded")),
    section("Payment status",
      c.paymentStatuses.length
        ? h("ul", {}, c.paymentStatuses.map((p) => h("li", {}, h("strong", {}, `${p.paymentSystem} ${p.status}`), ` ${p.meaning} (payable: ${p.payable})`,
            p.effective ? h("span", { className: "muted small" }, ` from ${p.effective}`) : null, sourceNote(p.sources))))
        : h("p", { className: "muted" }, "no payment status in the graph")),
    section("Documentation",
      documentation.length ? h("ul", {}, documentation.map((g) => h("li", {}, g.text, sourceNote(g.sources)))) : h("p", { className: "muted" }, "none recorded")),
    section("Denial and audit risks",
      risks.length ? h("ul", {}, risks.map((g) => h("li", {}, h("span", { className: "tag" }, label(g.kind)), " ", g.text, sourceNote(g.sources)))) : h("p", { className: "muted" }, "none recorded")),
    section(`Sources (${c.sources.length})`, sourceList(c.sources)),
  );
  return c;
}
