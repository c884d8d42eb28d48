// Runs with a connected account (src/Polydev.Client/Executions/ExecutionRunner.cs): the credential goes as the CLI's
// file (credential_file), the job names the user's own key as writeBackKey only when the vault record is known, and a
// `credential` event from the run is handed to the write-back once the run has ended.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Keys } from "../src/app/account/keys.ts";
import type { CredentialResponse } from "../src/app/api/types.ts";
import { openRunCredential, type CredentialOption } from "../src/app/run/credential-choice.ts";
import { decodeEvent } from "../src/app/run/events.ts";
import { ExecutionRun, type CredentialWriteBack, type RunRequest } from "../src/app/run/execution-run.ts";
import { ExecutionsClient } from "../src/app/run/executions.ts";
import { jobJson } from "../src/app/run/job.ts";
import { Answer } from "../src/app/run/answer.ts";
import { sealCredential, type CredentialSecret } from "../src/app/vault/credentials.ts";
import { importAesGcmKey, randomBytes, toBase64, utf8 } from "../src/crypto/bytes.ts";
import { generateKeyPair } from "../src/crypto/p256.ts";
import { FakeExecutionsServer, sealedFrames } from "./run-fake-server.ts";

const noDelay = { delay: async () => {} };

test("a credential event decodes with its sealed box; one without it is skipped; the answer ignores it", () => {
  assert.deepEqual(decodeEvent(utf8('{"type":"credential","sealed":"AAEC","extra":1}')), { type: "credential", sealed: "AAEC" });
  assert.equal(decodeEvent(utf8('{"type":"credential"}')), null);
  const answer = new Answer("anthropic");
  assert.deepEqual(answer.apply({ type: "credential", sealed: "AAEC" }), { kind: "none" });
  assert.equal(answer.text, "");
});

test("the job's credential names writeBackKey (base64 of the 65-byte key) only when given", async () => {
  const pair = await generateKeyPair();
  const input = { provider: "anthropic", credentialType: "credential_file" as const, credential: "{}", prompt: "p", timeLimitSeconds: 0, maxOutputBytes: 0 };
  assert.deepEqual(jobJson({ ...input, writeBackKey: pair.publicKey }, new Uint8Array(32)).credential,
    { type: "credential_file", value: "{}", writeBackKey: toBase64(pair.publicKey) });
  assert.deepEqual(jobJson(input, new Uint8Array(32)).credential, { type: "credential_file", value: "{}" });
});

async function newKeys(): Promise<Keys> {
  const pair = await generateKeyPair();
  return { userId: crypto.randomUUID(), userKey: await importAesGcmKey(randomBytes(32)), privateKey: pair.privateKey, publicKey: pair.publicKey };
}

async function option(keys: Keys, secret: CredentialSecret): Promise<CredentialOption> {
  const id = crypto.randomUUID();
  const record: CredentialResponse = {
    id, provider: "anthropic", secret: await sealCredential(keys, id, "anthropic", secret), revision: 1, createdAt: "2026-12-01T00:00:00Z", updatedAt: "2026-12-01T00:00:00Z",
  };
  return { id, provider: "anthropic", label: secret.label, record };
}

test("a connected account runs as credential_file and keeps its record id; an API key keeps neither", async () => {
  const keys = await newKeys();
  const oauth = await option(keys, { label: "alice", type: "oauth", secret: '{"claudeAiOauth":{}}', account: "alice", refreshable: true });
  assert.deepEqual(await openRunCredential(keys, oauth), { type: "credential_file", secret: '{"claudeAiOauth":{}}', baseUrl: undefined, caBundle: undefined, recordId: oauth.id });
  const apiKey = await option(keys, { label: "work", type: "api_key", secret: "sk-ant" });
  assert.deepEqual(await openRunCredential(keys, apiKey), { type: "api_key", secret: "sk-ant", baseUrl: undefined, caBundle: undefined });
});

function recordingWriteBack(publicKey: Uint8Array): CredentialWriteBack & { stored: [string, string, string][] } {
  const stored: [string, string, string][] = [];
  return { publicKey, stored, store: async (provider, recordId, sealed) => { stored.push([provider, recordId, sealed]); return true; } };
}

const events = [
  { type: "accepted", provider: "anthropic" },
  { type: "text", text: "hi" },
  { type: "credential", sealed: "Zmlyc3Q=" },
  { type: "credential", sealed: "c2Vjb25k" },
  { type: "exit", exitCode: 0, reason: "ok" },
];

async function runToEnd(server: FakeExecutionsServer, request: RunRequest): Promise<ExecutionRun> {
  server.connections.push(async (key) => ({ pieces: await sealedFrames(key, events), end: "close" }));
  const run = new ExecutionRun(new ExecutionsClient(server.transport), request, noDelay);
  for await (const _ of run.events()) { /* drain */ }
  return run;
}

test("an OAuth run asks for write-back with the user's key, and stores the last refreshed credential after it ends", async () => {
  const server = await FakeExecutionsServer.create();
  const pair = await generateKeyPair();
  const writeBack = recordingWriteBack(pair.publicKey);
  const run = await runToEnd(server, {
    provider: "anthropic", prompt: "p", writeBack, credential: { type: "credential_file", secret: '{"claudeAiOauth":{}}', recordId: "rec-1" },
  });
  assert.deepEqual(server.job!["credential"], { type: "credential_file", value: '{"claudeAiOauth":{}}', writeBackKey: toBase64(pair.publicKey) });
  assert.deepEqual(writeBack.stored, []);
  assert.equal(await run.storeRefreshed(), true);
  assert.deepEqual(writeBack.stored, [["anthropic", "rec-1", "c2Vjb25k"]]);
  // Stored once: the page asks again only when another refresh arrives.
  assert.equal(await run.storeRefreshed(), null);
});

test("without a record id (an API key) or without a write-back, the job names no key and nothing is stored", async () => {
  const pair = await generateKeyPair();
  let server = await FakeExecutionsServer.create();
  const writeBack = recordingWriteBack(pair.publicKey);
  let run = await runToEnd(server, { provider: "anthropic", prompt: "p", writeBack, credential: { type: "api_key", secret: "sk-ant" } });
  assert.deepEqual(server.job!["credential"], { type: "api_key", value: "sk-ant" });
  assert.equal(await run.storeRefreshed(), null);

  server = await FakeExecutionsServer.create();
  run = await runToEnd(server, { provider: "anthropic", prompt: "p", credential: { type: "credential_file", secret: "{}", recordId: "rec-1" } });
  assert.deepEqual(server.job!["credential"], { type: "credential_file", value: "{}" });
  assert.equal(await run.storeRefreshed(), null);
  assert.deepEqual(writeBack.stored, []);
});

test("a run the page disposed stores nothing: the keys went with the page", async () => {
  const server = await FakeExecutionsServer.create();
  const pair = await generateKeyPair();
  const writeBack = recordingWriteBack(pair.publicKey);
  const run = await runToEnd(server, { provider: "anthropic", prompt: "p", writeBack, credential: { type: "credential_file", secret: "{}", recordId: "rec-1" } });
  run.dispose();
  assert.equal(await run.storeRefreshed(), null);
  assert.deepEqual(writeBack.stored, []);
});
