// Building DOM nodes without a framework: h("a", {href: "#"}, "text", child...).
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "className") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replace an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) element.append(child);
  }
  return element;
}

/** "title · 2026Q2 · cms-file" for a source. */
export function sourceLabel(source) {
  return [source.title, source.quarter, source.confidence].filter(Boolean).join(" · ");
}

/** A list of sources, each with its quarter and confidence. */
export function sourceList(sources, className = "sources") {
  if (!sources || !sources.length) return h("p", { className: "muted" }, "no source recorded");
  return h("ul", { className }, sources.map((s) => h("li", { title: s.publisher || "" }, sourceLabel(s))));
}
