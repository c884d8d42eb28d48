import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBase64, importAesGcmKey, utf8 } from "../src/crypto/bytes.ts";
import { OutputStreamDecryptor, sealOutputChunk } from "../src/crypto/output-stream.ts";
import { generateKeyPair } from "../src/crypto/p256.ts";
import { open } from "../src/crypto/sealed-box.ts";
import { isUsableBaseUrl, jobJson, sealedJobPurpose, sealJob, type JobInput } from "../src/app/run/job.ts";
import { toBase64 } from "../src/crypto/bytes.ts";

const full: JobInput = {
  provider: "anthropic",
  credentialType: "api_key",
  credential: "sk-ant-canary",
  prompt: "Refactor this",
  model: "claude-sonnet-4-5",
  timeLimitSeconds: 900,
  maxOutputBytes: 0,
  proxyUrl: "http://exec:TOKEN@10.89.0.1:10001",
  baseUrl: "https://gateway.example/anthropic",
  caBundle: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
};

// The members and their order are those of the C# contract, src/Polydev.Contracts/Jobs/Job.cs (the agent refuses
// unknown members; tests/Polydev.Client.Tests/Contracts/JobJsonTests.cs has the same JSON); docs/events.md "The job".
test("the job JSON has the contract's members, in its order, camelCase", () => {
  const key = new Uint8Array(32).fill(7);
  const json = jobJson(full, key);
  assert.deepEqual(Object.keys(json), ["version", "provider", "credential", "prompt", "options", "outputKey", "proxyUrl", "baseUrl", "caBundle"]);
  assert.deepEqual(json, {
    version: 1,
    provider: "anthropic",
    credential: { type: "api_key", value: "sk-ant-canary" },
    prompt: "Refactor this",
    options: { model: "claude-sonnet-4-5", timeLimitSeconds: 900, maxOutputBytes: 0 },
    outputKey: toBase64(key),
    proxyUrl: "http://exec:TOKEN@10.89.0.1:10001",
    baseUrl: "https://gateway.example/anthropic",
    caBundle: full.caBundle,
  });
  assert.deepEqual(Object.keys(json["options"] as object), ["model", "timeLimitSeconds", "maxOutputBytes"]);
});

test("optional members are left out, never null", () => {
  const { model: _m, proxyUrl: _p, baseUrl: _b, caBundle: _c, ...minimal } = full;
  const json = jobJson(minimal, new Uint8Array(32));
  assert.deepEqual(Object.keys(json), ["version", "provider", "credential", "prompt", "options", "outputKey"]);
  assert.deepEqual(json["options"], { timeLimitSeconds: 900, maxOutputBytes: 0 });
  assert.ok(!JSON.stringify(json).includes("null"));
});

test("sealJob: the sandbox's key opens it (purpose execution.job), and the output key reads the agent's output", async () => {
  const sandbox = await generateKeyPair();
  const sealed = await sealJob(full, toBase64(sandbox.publicKey));
  assert.equal(sealed.outputKey.extractable, false);
  const opened = JSON.parse(new TextDecoder().decode(await open(sandbox, fromBase64(sealed.sealedJob), sealedJobPurpose)));
  assert.equal(opened.prompt, "Refactor this");
  assert.equal(opened.credential.value, "sk-ant-canary");
  const keyBytes = fromBase64(opened.outputKey);
  assert.equal(keyBytes.length, 32);

  // What the agent does with the key: seal chunk 0; the page's non-extractable key opens it.
  const agentKey = await importAesGcmKey(keyBytes);
  const frame = await sealOutputChunk(agentKey, 0n, true, utf8('{"type":"exit","exitCode":0,"reason":"ok"}'));
  const chunk = await new OutputStreamDecryptor(sealed.outputKey).open(frame);
  assert.equal(new TextDecoder().decode(chunk.plaintext), '{"type":"exit","exitCode":0,"reason":"ok"}');

  await assert.rejects(open(sandbox, fromBase64(sealed.sealedJob), "credential"));
});

test("every job gets a fresh output key", async () => {
  const sandbox = await generateKeyPair();
  const keys = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const sealed = await sealJob(full, toBase64(sandbox.publicKey));
    keys.add(JSON.parse(new TextDecoder().decode(await open(sandbox, fromBase64(sealed.sealedJob), sealedJobPurpose))).outputKey);
  }
  assert.equal(keys.size, 3);
});

test("base URLs: absolute http(s) without user information, as polydev run --base-url", () => {
  assert.ok(isUsableBaseUrl("https://gateway.example/v1"));
  assert.ok(isUsableBaseUrl("http://10.217.0.1:8080"));
  assert.ok(!isUsableBaseUrl("ftp://x"));
  assert.ok(!isUsableBaseUrl("/relative"));
  assert.ok(!isUsableBaseUrl("https://user:pw@gateway.example"));
});
