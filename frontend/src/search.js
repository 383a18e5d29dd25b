// Search as you type: a combobox over `search(text:)`, usable with arrow keys, Enter and Escape.
import { gql } from "./api.js";
import { fill, h } from "./dom.js";

const SEARCH = `query Search($text: String!, $first: Int!) { search(text: $text, first: $first) { code title isAddOn } }`;

export function setupSearch(input, list, onChoose, { maxLength = 200, first = 12 } = {}) {
  input.maxLength = maxLength;
  let results = [];
  let active = -1;
  let timer = 0;
  let sequence = 0;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((item, i) => item.setAttribute("aria-selected", i === index ? "true" : "false"));
    if (index >= 0) input.setAttribute("aria-activedescendant", `search-option-${index}`);
  }

  function choose(index) {
    const hit = results[index];
    if (!hit) return;
    close();
    input.value = hit.code;
    onChoose(hit.code);
  }

  function show(hits) {
    results = hits;
    fill(
      list,
      hits.length
        ? hits.map((hit, i) =>
            h(
              "li",
              { id: `search-option-${i}`, role: "option", "aria-selected": "false", "data-code": hit.code,
                onmousedown: (event) => { event.preventDefault(); choose(i); } },
              h("strong", {}, hit.code), " ", hit.title, hit.isAddOn ? h("span", { className: "tag" }, "add-on") : null,
            ),
          )
        : [h("li", { className: "muted", role: "option", "aria-disabled": "true" }, "no code matches")],
    );
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(hits.length ? 0 : -1);
  }

  async function run(text) {
    const mine = ++sequence;
    try {
      const { data } = await gql(SEARCH, { text, first });
      if (mine === sequence) show(data.search);
    } catch (error) {
      if (mine === sequence) fill(list, h("li", { className: "error", role: "option" }, error.message));
      list.hidden = false;
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) { sequence++; close(); return; }
    timer = setTimeout(() => run(text), 120);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && results.length) { event.preventDefault(); highlight(Math.min(active + 1, results.length - 1)); }
    else if (event.key === "ArrowUp" && results.length) { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
    else if (event.key === "Enter") {
      event.preventDefault();
      if (!list.hidden && active >= 0) choose(active);
      else if (input.value.trim()) onChoose(input.value.trim().toUpperCase());
    } else if (event.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
}
