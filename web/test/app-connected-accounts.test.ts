// Connected accounts in the vault (src/Polydev.Client/Vault/ConnectedAccounts.cs): a capture read as the C# client
// reads it, stored as a new oauth credential, and a run's refreshed credential replacing the stored one by the same
// rules — skip when unchanged or when what is stored expires no earlier, the stored revision guards the write, and a
// 409 reads again (three attempts in all).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Keys } from "../src/app/account/keys.ts";
import { ApiError, UserFacingError } from "../src/app/api/errors.ts";
import type { CreateCredentialRequest, CredentialResponse, UpdateCredentialRequest } from "../src/app/api/types.ts";
import {
  openCapture, openRefresh, parseCapturedCredential, refreshPurpose, replaceRefreshed, storeConnected, toSecret,
  type CapturedCredential, type CredentialRecords,
} from "../src/app/vault/connected-accounts.ts";
import { openCredential, sealCredential, toPlaintext, type CredentialSecret } from "../src/app/vault/credentials.ts";
import { importAesGcmKey, randomBytes, toBase64, utf8 } from "../src/crypto/bytes.ts";
import { sealCapture } from "../src/crypto/credential-capture.ts";
import { generateKeyPair, importScalar } from "../src/crypto/p256.ts";
import { seal } from "../src/crypto/sealed-box.ts";
import { credentialCaptures, hex } from "./vectors.ts";

const vectors = credentialCaptures();
const anthropicPlaintext = vectors.captures[0]!.plaintext;

async function newKeys(): Promise<Keys> {
  const pair = await generateKeyPair();
  return { userId: crypto.randomUUID(), userKey: await importAesGcmKey(randomBytes(32)), privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** The credentials API of one user, in memory: revisions bump on every write, a PUT with a stale revision is a 409. */
class FakeRecords implements CredentialRecords {
  readonly records = new Map<string, CredentialResponse>();
  readonly puts: { id: string; revision: number }[] = [];
  /** Runs before a PUT is applied: another run's write landing between our read and our write. */
  beforePut: ((id: string) => Promise<void>) | null = null;

  async createCredential(request: CreateCredentialRequest): Promise<CredentialResponse> {
    const now = new Date().toISOString();
    const record = { id: request.id, provider: request.provider, secret: request.secret, revision: 1, createdAt: now, updatedAt: now };
    this.records.set(request.id, record);
    return record;
  }

  async getCredential(id: string): Promise<CredentialResponse> {
    const record = this.records.get(id);
    if (record === undefined) throw new ApiError(404, null, null, "gone");
    return record;
  }

  async updateCredential(id: string, request: UpdateCredentialRequest): Promise<CredentialResponse> {
    this.puts.push({ id, revision: request.revision });
    const hook = this.beforePut;
    this.beforePut = null;
    await hook?.(id);
    const record = await this.getCredential(id);
    if (record.revision !== request.revision) throw new ApiError(409, null, null, "changed");
    const updated = { ...record, secret: request.secret, revision: record.revision + 1 };
    this.records.set(id, updated);
    return updated;
  }

  /** Another run stores `secret` directly (its own successful PUT). */
  async storeDirectly(keys: Keys, id: string, secret: CredentialSecret): Promise<void> {
    const record = await this.getCredential(id);
    this.records.set(id, { ...record, secret: await sealCredential(keys, id, "anthropic", secret), revision: record.revision + 1 });
  }

  async open(keys: Keys, id: string): Promise<CredentialSecret> {
    return openCredential(keys, await this.getCredential(id));
  }
}

const captured = (overrides: Partial<CapturedCredential> = {}): CapturedCredential => ({
  version: 1, provider: "anthropic", file: '{"claudeAiOauth":{"refreshToken":"r1"}}', account: "alice@example.com",
  expiresAt: "2026-12-05T08:00:00+00:00", refreshable: true, ...overrides,
});

async function storedOAuth(records: FakeRecords, keys: Keys, secret: CredentialSecret): Promise<string> {
  const id = crypto.randomUUID();
  await records.createCredential({ id, provider: "anthropic", secret: await sealCredential(keys, id, "anthropic", secret) });
  return id;
}

const original: CredentialSecret = {
  label: "work", type: "oauth", secret: '{"claudeAiOauth":{"refreshToken":"r1"}}', account: "alice@example.com",
  expiresAt: "2026-12-05T08:00:00+00:00", refreshable: true, baseUrl: "https://gateway.example/anthropic",
};

test("a capture's plaintext from the C# vectors reads with account, expiry and refreshable", () => {
  const read = parseCapturedCredential(utf8(anthropicPlaintext), "anthropic");
  assert.equal(read.provider, "anthropic");
  assert.equal(read.account, "alice@example.com");
  assert.equal(read.expiresAt, "2026-12-05T08:00:00+00:00");
  assert.equal(read.refreshable, true);
  assert.match(read.file, /^\{"claudeAiOauth":/);
  const google = parseCapturedCredential(utf8(vectors.captures[1]!.plaintext), "google");
  assert.deepEqual([google.account, google.expiresAt, google.refreshable], [null, null, false]);
});

test("a capture's plaintext is refused as the C# client refuses it: version, unknown member, empty file, another provider", () => {
  const base = JSON.parse(anthropicPlaintext) as Record<string, unknown>;
  const refused = (value: object, provider = "anthropic") =>
    assert.throws(() => parseCapturedCredential(utf8(JSON.stringify(value)), provider), UserFacingError);
  refused({ ...base, version: 2 });
  refused({ ...base, extra: true });
  refused({ ...base, file: "" });
  refused({ ...base, expiresAt: "tomorrow" });
  refused({ ...base, refreshable: "yes" });
  assert.throws(() => parseCapturedCredential(utf8("not json"), "anthropic"), /not in a form this page reads/);
  assert.throws(() => parseCapturedCredential(utf8(anthropicPlaintext), "openai"), /is anthropic's, not openai's/);
  // An absent version is the contract's default, 1.
  const { version: _version, ...withoutVersion } = base;
  assert.equal(parseCapturedCredential(utf8(JSON.stringify(withoutVersion)), "anthropic").version, 1);
});

test("openCapture: the C#-made capture opens with the proof key; another proof key is refused before opening", async () => {
  const recipient = await importScalar(hex(vectors.recipientPrivateKey));
  const capture = toBase64(hex(vectors.captures[0]!.capture));
  const read = await openCapture(recipient, capture, hex(vectors.proofKey), "anthropic");
  assert.equal(read.account, "alice@example.com");
  await assert.rejects(openCapture(recipient, capture, randomBytes(32), "anthropic"), /did not come from the login sandbox this page opened/);
  await assert.rejects(openCapture(recipient, capture, hex(vectors.proofKey), "google"), /is anthropic's, not google's/);
});

test("openRefresh: a credential event's box opens with purpose credential.refresh only", async () => {
  const keys = await newKeys();
  const refreshed = await seal(keys.publicKey, utf8(anthropicPlaintext), refreshPurpose);
  assert.equal((await openRefresh(keys, toBase64(refreshed), "anthropic")).account, "alice@example.com");
  const asCapture = await sealCapture(keys.publicKey, randomBytes(32), utf8(anthropicPlaintext));
  await assert.rejects(openRefresh(keys, toBase64(asCapture.slice(32)), "anthropic"), /does not open with your key/);
});

test("storeConnected: a new oauth credential, labelled by its account (or provider), sealed bound to its provider", async () => {
  const keys = await newKeys();
  const records = new FakeRecords();
  const { id, secret } = await storeConnected(records, keys, captured());
  assert.deepEqual(await records.open(keys, id), {
    label: "alice@example.com", type: "oauth", secret: '{"claudeAiOauth":{"refreshToken":"r1"}}', account: "alice@example.com",
    expiresAt: "2026-12-05T08:00:00+00:00", refreshable: true,
  });
  assert.equal(secret.label, "alice@example.com");
  assert.equal(records.records.get(id)!.provider, "anthropic");
  // Bound: the server relabelling it as another provider's makes it fail to open.
  await assert.rejects(openCredential(keys, { ...records.records.get(id)!, provider: "openai" }, "openai"));

  const anonymous = await storeConnected(records, keys, captured({ account: null, expiresAt: null, refreshable: false }));
  assert.equal(anonymous.secret.label, "anthropic");
  // The plaintext the C# client reads: expiresAt and account absent when unknown, refreshable only when true.
  assert.deepEqual(toPlaintext(anonymous.secret), { label: "anthropic", type: "oauth", secret: '{"claudeAiOauth":{"refreshToken":"r1"}}' });
  assert.deepEqual(Object.keys(toPlaintext(toSecret(captured(), "x"))), ["label", "type", "secret", "account", "expiresAt", "refreshable"]);
});

test("replaceRefreshed: an unchanged file is not written", async () => {
  const keys = await newKeys();
  const records = new FakeRecords();
  const id = await storedOAuth(records, keys, original);
  assert.equal(await replaceRefreshed(records, keys, id, captured({ expiresAt: "2027-01-01T00:00:00+00:00" })), false);
  assert.deepEqual(records.puts, []);
});

test("replaceRefreshed: a refresh that expires no later than the stored one is not written", async () => {
  const keys = await newKeys();
  const records = new FakeRecords();
  const id = await storedOAuth(records, keys, original);
  assert.equal(await replaceRefreshed(records, keys, id, captured({ file: '{"r":"older"}', expiresAt: "2026-12-04T08:00:00Z" })), false);
  assert.equal(await replaceRefreshed(records, keys, id, captured({ file: '{"r":"same"}', expiresAt: "2026-12-05T09:00:00+01:00" })), false);
  assert.deepEqual(records.puts, []);
});

test("replaceRefreshed: a newer refresh is written under the stored revision, keeping the label and endpoint", async () => {
  const keys = await newKeys();
  const records = new FakeRecords();
  const id = await storedOAuth(records, keys, original);
  const newer = captured({ file: '{"r":"r2"}', expiresAt: "2026-12-06T08:00:00Z", account: "alice@example.com" });
  assert.equal(await replaceRefreshed(records, keys, id, newer), true);
  assert.deepEqual(records.puts, [{ id, revision: 1 }]);
  assert.deepEqual(await records.open(keys, id), {
    label: "work", type: "oauth", secret: '{"r":"r2"}', baseUrl: "https://gateway.example/anthropic",
    account: "alice@example.com", expiresAt: "2026-12-06T08:00:00Z", refreshable: true,
  });
  // A stored expiry that is unknown never blocks a refresh that has one.
  const unknown = await storedOAuth(records, keys, { label: "x", type: "oauth", secret: "{}" });
  assert.equal(await replaceRefreshed(records, keys, unknown, newer), true);
});

test("replaceRefreshed: on 409 it reads again; an older write by another run is then replaced", async () => {
  const keys = await newKeys();
  const records = new FakeRecords();
  const id = await storedOAuth(records, keys, original);
  records.beforePut = () => records.storeDirectly(keys, id, { ...original, secret: '{"r":"other"}', expiresAt: "2026-12-05T12:00:00Z" });
  assert.equal(await replaceRefreshed(records, keys, id, captured({ file: '{"r":"mine"}', expiresAt: "2026-12-06T08:00:00Z" })), true);
  assert.deepEqual(records.puts, [{ id, revision: 1 }, { id, revision: 2 }]);
  assert.equal((await records.open(keys, id)).secret, '{"r":"mine"}');
});

test("replaceRefreshed: on 409 it reads again; a newer write by another run wins", async () => {
  const keys = await newKeys();
  const records = new FakeRecords();
  const id = await storedOAuth(records, keys, original);
  records.beforePut = () => records.storeDirectly(keys, id, { ...original, secret: '{"r":"newest"}', expiresAt: "2026-12-07T08:00:00Z" });
  assert.equal(await replaceRefreshed(records, keys, id, captured({ file: '{"r":"mine"}', expiresAt: "2026-12-06T08:00:00Z" })), false);
  assert.deepEqual(records.puts, [{ id, revision: 1 }]);
  assert.equal((await records.open(keys, id)).secret, '{"r":"newest"}');
});

test("replaceRefreshed: three conflicts in a row give up; other errors are not swallowed; an API key is never replaced", async () => {
  const keys = await newKeys();
  const records = new FakeRecords();
  const id = await storedOAuth(records, keys, original);
  records.updateCredential = async (credentialId, request) => {
    records.puts.push({ id: credentialId, revision: request.revision });
    throw new ApiError(409, null, null, "changed");
  };
  assert.equal(await replaceRefreshed(records, keys, id, captured({ file: '{"r":"mine"}', expiresAt: "2026-12-06T08:00:00Z" })), false);
  assert.equal(records.puts.length, 3);

  records.updateCredential = async () => { throw new ApiError(500, null, null, "broken"); };
  await assert.rejects(replaceRefreshed(records, keys, id, captured({ file: '{"r":"mine"}', expiresAt: "2026-12-06T08:00:00Z" })), /broken/);

  const apiKey = await storedOAuth(records, keys, { label: "key", type: "api_key", secret: "sk-ant" });
  assert.equal(await replaceRefreshed(records, keys, apiKey, captured()), false);
});

test("the stored secret is the CLI's file as it wrote it, not re-serialised", () => {
  const file = '{ "spaced" : true }\n';
  assert.equal(toSecret(captured({ file }), "l").secret, file);
});
