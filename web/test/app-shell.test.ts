// Pure parts of the shell: router patterns, record ids, the session record, device names, credentials plaintext,
// and the idle lock's timing (with a fake window and mocked timers).
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { fromHex, toBase64 } from "../src/crypto/index.ts";
import { Router } from "../src/app/router.ts";
import { newId } from "../src/app/vault/ids.ts";
import { clearSession, deviceName, loadSession, saveSession } from "../src/app/account/session.ts";
import { defaultIdleMinutes, IdleLock, loadIdleMinutes, saveIdleMinutes } from "../src/app/account/idle-lock.ts";
import { unlock } from "../src/app/account/protocol.ts";
import { openBytes, RecordError, sealJson } from "../src/app/vault/cipher.ts";
import { openCredential } from "../src/app/vault/credentials.ts";
import { polydev } from "./vectors.ts";

class MemoryStorage implements Storage {
  private readonly map = new Map<string, string>();
  get length() { return this.map.size; }
  clear() { this.map.clear(); }
  getItem(key: string) { return this.map.get(key) ?? null; }
  key(i: number) { return [...this.map.keys()][i] ?? null; }
  removeItem(key: string) { this.map.delete(key); }
  setItem(key: string, value: string) { this.map.set(key, value); }
}

test("router: literal and parameter segments, trailing slash, no partial matches", () => {
  const router = new Router();
  const create = () => { throw new Error("not called"); };
  router.add({ path: "/chats", access: "unlocked", create });
  router.add({ path: "/chats/:chatId", access: "unlocked", create });
  assert.deepEqual(router.match("/chats")?.params, {});
  assert.deepEqual(router.match("/chats/")?.params, {});
  assert.deepEqual(router.match("/chats/0192-ab")?.params, { chatId: "0192-ab" });
  assert.equal(router.match("/chats/a/b"), null);
  assert.equal(router.match("/chatsx"), null);
});

test("newId: UUIDv7, lower-case, time-ordered", () => {
  const a = newId(1_700_000_000_000), b = newId(1_700_000_000_001);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(a.slice(0, 13).replace("-", ""), (1_700_000_000_000).toString(16).padStart(12, "0"));
  assert.ok(a < b);
});

test("session record: round trip, only its four fields, junk ignored", () => {
  const storage = new MemoryStorage();
  assert.equal(loadSession(storage), null);
  saveSession({ token: "pd_s_x", sessionId: "s", userId: "u", email: "e@x", keys: "never" } as never, storage);
  assert.deepEqual(JSON.parse(storage.getItem("polydev.session")!), { token: "pd_s_x", sessionId: "s", userId: "u", email: "e@x" });
  assert.deepEqual(loadSession(storage), { token: "pd_s_x", sessionId: "s", userId: "u", email: "e@x" });
  storage.setItem("polydev.session", "{not json");
  assert.equal(loadSession(storage), null);
  clearSession(storage);
  assert.equal(storage.getItem("polydev.session"), null);
});

test("device names", () => {
  assert.equal(deviceName("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"), "Web: Firefox on Linux");
  assert.equal(deviceName("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"), "Web: Chromium on Linux");
  assert.equal(deviceName("curl/8"), "Web: Browser");
});

test("idle minutes: default 15, whole minutes saved, fractions honoured for tests, junk ignored", () => {
  const storage = new MemoryStorage();
  assert.equal(loadIdleMinutes(storage), defaultIdleMinutes);
  saveIdleMinutes(5, storage);
  assert.equal(loadIdleMinutes(storage), 5);
  assert.throws(() => saveIdleMinutes(0, storage), RangeError);
  assert.throws(() => saveIdleMinutes(Number.NaN, storage), RangeError);
  storage.setItem("polydev.idleMinutes", "0.05");
  assert.equal(loadIdleMinutes(storage), 0.05);
  storage.setItem("polydev.idleMinutes", "banana");
  assert.equal(loadIdleMinutes(storage), defaultIdleMinutes);
});

/** Just enough of window and document for IdleLock. */
function fakeWindow() {
  const listeners = new Map<string, Set<() => void>>();
  const on = (type: string, f: () => void) => (listeners.get(type) ?? listeners.set(type, new Set()).get(type)!).add(f);
  const off = (type: string, f: () => void) => listeners.get(type)?.delete(f);
  const document = { visibilityState: "visible", addEventListener: on, removeEventListener: off };
  const fire = (type: string) => listeners.get(type)?.forEach((f) => f());
  return { window: { addEventListener: on, removeEventListener: off, document } as unknown as Window, document, fire, listeners };
}

test("idle lock: fires after the timeout, activity postpones it, a long hidden tab locks on return", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    let now = 0;
    let locked = 0;
    const { window, document, fire, listeners } = fakeWindow();
    const idle = new IdleLock(() => 60_000, () => { locked += 1; }, window, () => now);
    idle.start();

    now = 59_000; mock.timers.tick(59_000);
    fire("keydown");
    now = 61_000; mock.timers.tick(2_000);
    assert.equal(locked, 0, "activity at 59 s postpones the lock");
    now = 119_000; mock.timers.tick(58_000);
    assert.equal(locked, 1, "locks 60 s after the last activity");
    assert.equal([...listeners.values()].reduce((n, s) => n + s.size, 0), 0, "stopped listening once locked");

    idle.start();
    document.visibilityState = "hidden"; fire("visibilitychange");
    now += 3_600_000; // the tab's timers were throttled: nothing fired while hidden
    document.visibilityState = "visible"; fire("visibilitychange");
    assert.equal(locked, 2, "a tab hidden past the timeout locks as soon as it shows");
  } finally {
    mock.timers.reset();
  }
});

test("credentials: optional baseUrl/caBundle round trip; a record that is not a credential is refused", async () => {
  const v = polydev();
  const master = v.masterKeys[0]!, env = v.envelopes;
  const b64 = (hex: string) => toBase64(fromHex(hex));
  const userId = env[0]!.userId;
  const keys = await unlock({
    userId, email: "v@example.com", kdf: { algorithm: master.kdf.algorithm, iterations: master.kdf.iterations, salt: b64(master.kdf.salt) },
    userKey: { kind: "user.key", recordId: userId, envelope: b64(env[0]!.envelope) }, publicKey: b64(v.sealedBoxes[0]!.recipientPublicKey),
    privateKey: { kind: "user.private-key", recordId: userId, envelope: b64(env[2]!.envelope) }, hasRecovery: true, createdAt: "",
  }, master.password);

  const id = newId();
  const full = { label: "gateway", type: "api_key", secret: "sk-1", baseUrl: "https://llm.example/v1", caBundle: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n" };
  const sealed = await sealJson(keys, "credential.secret", id, full);
  const response = { id, provider: "openai", secret: sealed, revision: 1, createdAt: "", updatedAt: "" };
  assert.deepEqual(await openCredential(keys, response), full);

  const plainId = newId();
  const plain = await sealJson(keys, "credential.secret", plainId, { label: "k", type: "api_key", secret: "sk-2" });
  assert.deepEqual(await openCredential(keys, { ...response, id: plainId, secret: plain }), { label: "k", type: "api_key", secret: "sk-2" });
  // Opened under another id (the server moved it): refused.
  await assert.rejects(openCredential(keys, { ...response, id: plainId }), RecordError);

  const vector = env.find((e) => e.kind === "credential.secret")!;
  const foreign = { ...response, id: vector.recordId, secret: { kind: "credential.secret", recordId: vector.recordId, envelope: b64(vector.envelope) } };
  assert.ok((await openBytes(keys, "credential.secret", vector.recordId, foreign.secret, "credential")).length > 0);
  await assert.rejects(openCredential(keys, foreign), /lacks its label/);
});
