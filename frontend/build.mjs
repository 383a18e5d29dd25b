// Builds the playground and explorer bundles into server/static/ and records the licences of
// every package that ends up in them (THIRD_PARTY_LICENSES.txt beside the assets).
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";

const out = path.resolve("../server/static");
fs.mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { graphiql: "src/graphiql.jsx", explore: "src/explore.js" },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: out,
  legalComments: "none",
  metafile: true,
  define: { "process.env.NODE_ENV": '"production"' },
  loader: { ".woff2": "dataurl", ".svg": "dataurl" },
  logLevel: "warning",
});

// Every node_modules package with at least one input in the bundles.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match && !packages.has(match[1])) packages.set(match[1], path.join("node_modules", match[1]));
}
const sections = [...packages.keys()].sort().map((name) => {
  const dir = packages.get(name);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = file
    ? fs.readFileSync(path.join(dir, file), "utf8").trim()
    : `The package ships no licence file; its package.json declares the ${meta.license} licence.`;
  const author = typeof meta.author === "string" ? meta.author : meta.author?.name;
  const repository = typeof meta.repository === "string" ? meta.repository : meta.repository?.url;
  const lines = [`${name} ${meta.version}`, `License: ${meta.license}`, author && `Author: ${author}`, repository && `Repository: ${repository}`];
  return `${lines.filter(Boolean).join("\n")}\n\n${text}\n`;
});
const header =
  "Third-party software bundled in graphiql.js, graphiql.css, explore.js and explore.css.\n" +
  "Built from the npm registry with frontend/package-lock.json (npm ci && npm run build).\n";
fs.writeFileSync(path.join(out, "THIRD_PARTY_LICENSES.txt"), [header, ...sections].join("\n" + "=".repeat(72) + "\n\n"));
console.log(`built ${Object.keys(result.metafile.outputs).map((o) => path.basename(o)).join(", ")}; ${packages.size} packages`);
