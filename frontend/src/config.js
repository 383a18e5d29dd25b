// The page's settings, written by the server into a JSON script element (never executed, so the
// Content-Security-Policy can forbid inline scripts).
export function pageConfig() {
  const element = document.getElementById("codingkg-config");
  return element ? JSON.parse(element.textContent) : {};
}
