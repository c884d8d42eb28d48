// Key rotation in the web client (src/app/account/rotation.ts): every record re-sealed, bound, under a new userKey
// that the old one cannot stand in for; the new key set opens from the password and the new recovery code; a vault
// that moved is read again; a record that opens with no key stops the rotation before anything is sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBase64, importAesGcmKey, openEnvelope } from "../src/crypto/index.ts";
import { deriveRecoveryWrappingKey, parseRecoveryCode } from "../src/crypto/recovery.ts";
import { ApiError, UserFacingError } from "../src/app/api/errors.ts";
import type { Api } from "../src/app/api/client.ts";
import type * as T from "../src/app/api/types.ts";
import type { Keys } from "../src/app/account/keys.ts";
import { createAccount, derivePasswordKeys, rotationProof, unlock } from "../src/app/account/protocol.ts";
import { rotateKeys } from "../src/app/account/rotation.ts";
import { openText, sealText } from "../src/app/vault/cipher.ts";
import { newId } from "../src/app/vault/ids.ts";

const password = "rotation password";

async function account() {
  const made = await createAccount("rotate@example.com", password);
  const response: T.AccountKeysResponse = {
    userId: made.request.userId, email: made.request.email, kdf: made.request.kdf, userKey: made.request.userKey,
    publicKey: made.request.publicKey, privateKey: made.request.privateKey, hasRecovery: true, createdAt: "2026-01-01T00:00:00Z",
  };
  return { response, keys: made.keys };
}

/** A vault of one chat (two messages, one sealed before records were bound) and one credential, under `keys`. */
async function vault(keys: Keys) {
  const chatId = newId();
  const [first, legacy, credentialId] = [newId(), newId(), newId()];
  const chat: T.ChatResponse = {
    id: chatId, title: await sealText(keys, "chat.title", chatId, "a title"), revision: 3, messageCount: 2,
    lastMessageAt: null, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z",
  };
  const messages: T.MessageResponse[] = [
    { id: first, chatId, body: await sealText(keys, "chat.message", first, "bound message", chatId), revision: 1, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" },
    { id: legacy, chatId, body: await sealText(keys, "chat.message", legacy, "legacy message"), revision: 2, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" },
  ];
  const credentials: T.CredentialResponse[] = [
    { id: credentialId, provider: "anthropic", secret: await sealText(keys, "credential.secret", credentialId, "sk-ant-secret", "anthropic"), revision: 5, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" },
  ];
  return { chat, messages, credentials };
}

/** The API calls a rotation makes, answered from `stored`; `answers` says what each rotateKeys call does. */
function fakeApi(stored: Awaited<ReturnType<typeof vault>>, answers: ((request: T.RotateKeysRequest) => T.AccountKeysResponse)[]) {
  const sent: T.RotateKeysRequest[] = [];
  let reads = 0;
  const api = {
    listChats: async () => { reads++; return [stored.chat]; },
    listMessages: async (chatId: string) => stored.messages.filter((m) => m.chatId === chatId),
    listCredentials: async () => stored.credentials,
    rotateKeys: async (request: T.RotateKeysRequest) => { sent.push(request); return answers[sent.length - 1]!(request); },
  } as unknown as Api;
  return { api, sent, reads: () => reads };
}

const accepted = (previous: T.AccountKeysResponse) => (request: T.RotateKeysRequest): T.AccountKeysResponse =>
  ({ ...previous, userKey: request.userKey, publicKey: request.publicKey, privateKey: request.privateKey });

test("rotateKeys re-seals every record, bound, under a new key the old one cannot stand in for", async () => {
  const { response, keys } = await account();
  const stored = await vault(keys);
  const { api, sent } = fakeApi(stored, [accepted(response)]);

  const rotated = await rotateKeys(api, keys, await rotationProof(response, password));

  const request = sent[0]!;
  assert.equal(rotated.records, 4);
  assert.deepEqual(request.chats.map((c) => [c.id, c.revision]), [[stored.chat.id, 3]]);
  assert.deepEqual(request.messages.map((m) => [m.id, m.revision]), stored.messages.map((m) => [m.id, m.revision]));
  assert.deepEqual(request.credentials.map((c) => [c.id, c.revision]), [[stored.credentials[0]!.id, 5]]);
  assert.equal(await openText(rotated.keys, "chat.title", stored.chat.id, request.chats[0]!.value, "chat title"), "a title");
  const [boundMessage, legacyMessage] = request.messages;
  assert.equal(await openText(rotated.keys, "chat.message", boundMessage!.id, boundMessage!.value, "message", stored.chat.id), "bound message");
  assert.equal(await openText(rotated.keys, "chat.message", legacyMessage!.id, legacyMessage!.value, "message", stored.chat.id), "legacy message");
  assert.equal(await openText(rotated.keys, "credential.secret", request.credentials[0]!.id, request.credentials[0]!.value, "credential", "anthropic"), "sk-ant-secret");
  await assert.rejects(openText(keys, "chat.title", stored.chat.id, request.chats[0]!.value, "chat title"));
  await assert.rejects(openText(rotated.keys, "chat.message", legacyMessage!.id, legacyMessage!.value, "message")); // bound now

  // The new key set: the password opens it (same kek), the new recovery code opens the same new userKey, the old
  // private key and public key are replaced.
  assert.notEqual(request.publicKey, response.publicKey);
  assert.equal(request.newPassword, null);
  const reopened = await unlock({ ...response, userKey: request.userKey, publicKey: request.publicKey, privateKey: request.privateKey }, password);
  assert.equal(await openText(reopened, "chat.title", stored.chat.id, request.chats[0]!.value, "chat title"), "a title");
  const wrappingKey = await deriveRecoveryWrappingKey(parseRecoveryCode(rotated.recoveryCode));
  const fromRecovery = await openEnvelope(wrappingKey, fromBase64(request.recovery!.userKey.envelope), { kind: "user.recovery-key", userId: response.userId, recordId: response.userId });
  const recoveredKeys: Keys = { ...rotated.keys, userKey: await importAesGcmKey(fromRecovery) };
  assert.equal(await openText(recoveredKeys, "chat.title", stored.chat.id, request.chats[0]!.value, "chat title"), "a title");
  assert.ok(!JSON.stringify(request).includes(password));
  assert.ok(!JSON.stringify(request).includes(rotated.recoveryCode));
});

test("a rotation with a password change wraps the new key under the new password only", async () => {
  const { response, keys } = await account();
  const { api, sent } = fakeApi(await vault(keys), [accepted(response)]);
  await assert.rejects(rotationProof(response, "not the password", "next password"), (e: unknown) => e instanceof UserFacingError && e.message === "The current password is wrong.");

  await rotateKeys(api, keys, await rotationProof(response, password, "next password"));

  const request = sent[0]!;
  assert.notEqual(request.newPassword!.kdf.salt, response.kdf.salt);
  assert.equal(request.currentAuthKey, (await derivePasswordKeys(password, response.kdf)).authKey);
  const changed = { ...response, kdf: request.newPassword!.kdf, userKey: request.userKey, publicKey: request.publicKey, privateKey: request.privateKey };
  await unlock(changed, "next password");
  await assert.rejects(unlock(changed, password), (e: unknown) => e instanceof UserFacingError && e.message === "Wrong password.");
});

test("a vault that moved meanwhile (409) is read again; a third refusal is the user's to see", async () => {
  const { response, keys } = await account();
  const conflict = () => { throw new ApiError(409, "Conflict", "The vault changed while it was being re-encrypted", "The vault changed while it was being re-encrypted"); };
  const retried = fakeApi(await vault(keys), [conflict, accepted(response)]);
  await rotateKeys(retried.api, keys, await rotationProof(response, password));
  assert.equal(retried.reads(), 2);
  assert.equal(retried.sent.length, 2);

  const refused = fakeApi(await vault(keys), [conflict, conflict, conflict]);
  await assert.rejects(rotateKeys(refused.api, keys, await rotationProof(response, password)), /changed while it was being re-encrypted/);
  assert.equal(refused.sent.length, 3);
});

test("a record that opens with no key stops the rotation before anything is sent", async () => {
  const { response, keys } = await account();
  const stored = await vault(keys);
  const foreign = (await createAccount("other@example.com", "another password")).keys;
  stored.credentials.push({ ...stored.credentials[0]!, id: newId() });
  stored.credentials[1] = { ...stored.credentials[1]!, secret: await sealText(foreign, "credential.secret", stored.credentials[1]!.id, "not ours", "anthropic") };
  const { api, sent } = fakeApi(stored, [accepted(response)]);

  await assert.rejects(rotateKeys(api, keys, await rotationProof(response, password)), (e: unknown) => e instanceof UserFacingError && /nothing was rotated/.test(e.message));
  assert.equal(sent.length, 0);
});
