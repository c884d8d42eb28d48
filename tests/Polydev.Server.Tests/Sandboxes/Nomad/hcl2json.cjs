// Parses HCL files with HashiCorp's own HCL parser and prints them as JSON, for NomadDeploymentFilesTests.
// The parser is the npm package @cdktf/hcl2json: HashiCorp's Go HCL library (hashicorp/hcl v2) compiled to
// WebAssembly. scripts/lib/hcl.sh (ensure_hcl2json) installs it into an npm prefix.
//
// Usage: node hcl2json.cjs PREFIX FILE...
// Prints one JSON object, {"FILE": <the file as JSON>, ...}. A file that does not parse: its name and HCL's
// diagnostics on stderr, exit code 1. Blocks become arrays of bodies; labelled blocks objects keyed by label.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const [prefix, ...files] = process.argv.slice(2);
  if (!prefix || files.length === 0) {
    process.stderr.write('usage: node hcl2json.cjs PREFIX FILE...\n');
    return 2;
  }

  const { parse } = require(path.join(prefix, 'node_modules', '@cdktf', 'hcl2json'));
  const parsed = {};
  for (const file of files) {
    try {
      parsed[file] = await parse(path.basename(file), fs.readFileSync(file, 'utf8'));
    } catch (error) {
      process.stderr.write(`${file}: ${error && error.message ? error.message : error}\n`);
      return 1;
    }
  }

  process.stdout.write(JSON.stringify(parsed));
  return 0;
}

main().then(code => { process.exitCode = code; }, error => { process.stderr.write(`${error.stack || error}\n`); process.exitCode = 1; });
