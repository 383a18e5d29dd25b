// The claim form: lines with units and modifiers, payer, claim type, place of service and date;
// findings are listed with their messages and sources, and the edges that fired go to the map.
import { gql, limits } from "./api.js";
import { fill, h, sourceList } from "./dom.js";
import { CLAIM_TYPES } from "./card.js";

const CHECK = `query Check($claim: ClaimInput!) { checkClaim(claim: $claim) { valid
  findings { rule severity line message codes sources { title publisher quarter confidence } path { kind from { code } to { code } } } } }`;
const PAYERS = `query Payers { payers { id name } }`;

const label = (text) => text.toLowerCase().replaceAll("_", " ");

export class ClaimForm {
  constructor(form, results, onFired) {
    this.form = form;
    this.results = results;
    this.onFired = onFired;
    this.maxLines = limits.maxClaimLines || 100;
    const codeLength = limits.maxCodeLength || 16;
    this.lines = h("tbody", {});
    this.payer = h("select", { id: "claim-payer", name: "payer" }, h("option", { value: "medicare" }, "Medicare"));
    this.claimType = h("select", { id: "claim-type", name: "claimType" },
      CLAIM_TYPES.map((t) => h("option", { value: t }, label(t))));
    this.pos = h("input", { id: "claim-pos", name: "placeOfService", size: 4, maxlength: codeLength, value: "11", autocomplete: "off" });
    this.date = h("input", { id: "claim-date", name: "dateOfService", type: "date" });
    this.codeLength = codeLength;
    this.addButton = h("button", { type: "button", onclick: () => this.addLine() }, "Add line");
    fill(form,
      h("div", { className: "claim-head" },
        h("label", {}, "Payer ", this.payer),
        h("label", {}, "Claim type ", this.claimType),
        h("label", {}, "POS ", this.pos),
        h("label", {}, "Date ", this.date)),
      h("table", { className: "claim-lines" },
        h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "code"), h("th", {}, "units"), h("th", {}, "modifiers"), h("th", {}, ""))),
        this.lines),
      h("div", { className: "claim-actions" }, this.addButton, h("button", { type: "submit", className: "primary" }, "Check claim")));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.check(); });
  }

  async loadPayers() {
    const { data } = await gql(PAYERS);
    fill(this.payer, data.payers.map((p) => h("option", { value: p.id, selected: p.id === "medicare" }, p.name)));
  }

  /** Start a new claim holding one line of `code`. */
  reset(code, asOf) {
    fill(this.lines);
    this.addLine(code);
    if (asOf) this.date.value = asOf;
    fill(this.results);
    this.onFired([]);
  }

  addLine(code = "") {
    if (this.lines.children.length >= this.maxLines) return;
    const row = h("tr", {},
      h("td", { className: "line-number" }),
      h("td", {}, h("input", { name: "code", "aria-label": "code", size: 7, maxlength: this.codeLength, value: code, autocomplete: "off" })),
      h("td", {}, h("input", { name: "units", "aria-label": "units", type: "number", min: 1, max: 9999, value: 1, style: "width:4.5em" })),
      h("td", {}, h("input", { name: "modifiers", "aria-label": "modifiers (comma-separated)", size: 9, placeholder: "e.g. 25, 59", autocomplete: "off" })),
      h("td", {}, h("button", { type: "button", className: "link", "aria-label": "remove line", onclick: () => { row.remove(); this.renumber(); } }, "remove")));
    this.lines.append(row);
    this.renumber();
  }

  renumber() {
    [...this.lines.children].forEach((row, i) => { row.firstChild.textContent = String(i + 1); });
    this.addButton.disabled = this.lines.children.length >= this.maxLines;
  }

  claim() {
    const lines = [...this.lines.children].map((row) => ({
      code: row.querySelector("[name=code]").value.trim().toUpperCase(),
      units: Number.parseInt(row.querySelector("[name=units]").value, 10) || 0,
      modifiers: row.querySelector("[name=modifiers]").value.split(/[\s,]+/).filter(Boolean).map((m) => m.toUpperCase()),
    })).filter((line) => line.code);
    return {
      payer: this.payer.value,
      claimType: this.claimType.value,
      placeOfService: this.pos.value.trim() || null,
      dateOfService: this.date.value || null,
      lines,
    };
  }

  async check() {
    const claim = this.claim();
    if (!claim.lines.length) {
      fill(this.results, h("p", { className: "error", role: "alert" }, "Add at least one line with a code."));
      return;
    }
    fill(this.results, h("p", { className: "muted" }, "Checking…"));
    try {
      const { data } = await gql(CHECK, { claim });
      const result = data.checkClaim;
      fill(this.results,
        h("p", { className: result.valid ? "verdict ok" : "verdict bad", role: "status", "data-testid": "claim-verdict" },
          result.valid ? "No errors: the claim passes the edits." : "The claim has errors."),
        result.findings.length
          ? h("ol", { className: "findings", "data-testid": "findings" }, result.findings.map((f) =>
              h("li", { className: "finding", "data-rule": f.rule, "data-severity": f.severity },
                h("div", {}, h("span", { className: `severity ${f.severity.toLowerCase()}` }, f.severity), " ",
                  h("code", {}, f.rule), f.line ? h("span", { className: "muted" }, ` line ${f.line}`) : null),
                h("p", {}, f.message),
                f.path.length ? h("p", { className: "small muted" }, "Edges: ", f.path.map((e) => `${e.from.code} ${label(e.kind)} ${e.to.code}`).join(", ")) : null,
                sourceList(f.sources, "sources small"))))
          : h("p", { className: "muted" }, "No findings."));
      this.onFired(result.findings.flatMap((f) => f.path));
    } catch (error) {
      fill(this.results, h("p", { className: "error", role: "alert" }, error.message));
    }
  }
}
