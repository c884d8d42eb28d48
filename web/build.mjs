// Builds the web client into dist/: esbuild bundles src/app/main.ts and src/app/styles.css into content-hashed files
// under dist/assets/, and dist/index.html is written from src/app/index.html with Subresource Integrity on every
// script and stylesheet. dist/manifest.json lists every file with its digest and sizes, for the server's tests and
// the bench (the JavaScript budget is 150 KB gzipped).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const assets = join(dist, "assets");
const jsBudgetGzipBytes = 150 * 1024;

rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: "src/app/main.ts", styles: "src/app/styles.css" },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  outdir: assets,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  legalComments: "none",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
});

/** One built file as the manifest and index.html describe it. */
function describe(absolutePath) {
  const bytes = readFileSync(absolutePath);
  return {
    path: relative(dist, absolutePath).split("\\").join("/"),
    sha384: createHash("sha384").update(bytes).digest("base64"),
    bytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
  };
}

const outputs = Object.entries(result.metafile.outputs).map(([path, output]) => ({ file: describe(join(root, path)), output }));
const entryOutput = (entry) => {
  const found = outputs.find(({ output }) => output.entryPoint === entry);
  if (!found) throw new Error(`esbuild produced no output for ${entry}`);
  return found.file;
};
const script = entryOutput("src/app/main.ts");
const stylesheet = entryOutput("src/app/styles.css");

const template = readFileSync(join(root, "src/app/index.html"), "utf8");
const fill = (text, marker, tag) => {
  if (!text.includes(marker)) throw new Error(`src/app/index.html lacks the ${marker} marker`);
  return text.replace(marker, tag);
};
let html = fill(template, "<!-- polydev:stylesheet -->",
  `<link rel="stylesheet" href="/${stylesheet.path}" integrity="sha384-${stylesheet.sha384}" crossorigin="anonymous">`);
html = fill(html, "<!-- polydev:script -->",
  `<script type="module" src="/${script.path}" integrity="sha384-${script.sha384}" crossorigin="anonymous"></script>`);
writeFileSync(join(dist, "index.html"), html);

const files = [describe(join(dist, "index.html")), ...outputs.map(({ file }) => file)];
const jsGzipBytes = files.filter((f) => f.path.endsWith(".js")).reduce((sum, f) => sum + f.gzipBytes, 0);
writeFileSync(join(dist, "manifest.json"), JSON.stringify({ files, jsGzipBytes, jsBudgetGzipBytes }, null, 2) + "\n");

for (const f of files) console.log(`${f.path.padEnd(36)} ${String(f.bytes).padStart(8)} B  ${String(f.gzipBytes).padStart(7)} B gzip`);
if (jsGzipBytes > jsBudgetGzipBytes) {
  console.error(`JavaScript is ${jsGzipBytes} B gzipped, over the ${jsBudgetGzipBytes} B budget.`);
  process.exit(1);
}
