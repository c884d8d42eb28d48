// The web client's account protocol (src/app/account/protocol.ts) against the C# library's vector hierarchy, and
// round trips of everything it makes: sign-up, unlock, password change, recovery code, recovery reset, deletion.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBase64, fromHex, importAesGcmKey, openEnvelope, toBase64, toHex } from "../src/crypto/index.ts";
import { parseRecoveryCode, deriveRecoveryWrappingKey } from "../src/crypto/recovery.ts";
import { UserFacingError } from "../src/app/api/errors.ts";
import type { AccountKeysResponse, SignupRequest } from "../src/app/api/types.ts";
import {
  changePassword, createAccount, deleteAccountRequest, derivePasswordKeys, recoveryProof, replaceRecoveryCode,
  resetWithRecovery, unlock,
} from "../src/app/account/protocol.ts";
import { signInWith } from "../src/app/account/sign-in.ts";
import type { Api } from "../src/app/api/client.ts";
import { openText } from "../src/app/vault/cipher.ts";
import { polydev } from "./vectors.ts";

const v = polydev();
const b64 = (hex: string) => toBase64(fromHex(hex));
const master = v.masterKeys[0]!;
const [userKeyEnvelope, recoveryEnvelope, privateKeyEnvelope, titleEnvelope] = v.envelopes;
const userId = userKeyEnvelope!.userId;
const password = master.password;

/** The vector hierarchy as GET /api/account would return it. */
const vectorAccount: AccountKeysResponse = {
  userId,
  email: "vector@example.com",
  kdf: { algorithm: master.kdf.algorithm, iterations: master.kdf.iterations, salt: b64(master.kdf.salt) },
  userKey: { kind: "user.key", recordId: userId, envelope: b64(userKeyEnvelope!.envelope) },
  publicKey: b64(v.sealedBoxes[0]!.recipientPublicKey),
  privateKey: { kind: "user.private-key", recordId: userId, envelope: b64(privateKeyEnvelope!.envelope) },
  hasRecovery: true,
  createdAt: "2025-01-01T00:00:00Z",
};

const title = () => ({ kind: "chat.title", recordId: titleEnvelope!.recordId, envelope: b64(titleEnvelope!.envelope) });

function accountFrom(request: SignupRequest): AccountKeysResponse {
  return {
    userId: request.userId, email: request.email, kdf: request.kdf, userKey: request.userKey, publicKey: request.publicKey,
    privateKey: request.privateKey, hasRecovery: request.recovery !== null, createdAt: "2025-01-01T00:00:00Z",
  };
}

const isUserFacing = (message: RegExp) => (e: unknown) => e instanceof UserFacingError && message.test(e.message);

test("derivePasswordKeys gives the vector authKey", async () => {
  const keys = await derivePasswordKeys(password, vectorAccount.kdf);
  assert.equal(keys.authKey, b64(master.authKey));
  assert.equal(keys.kek.extractable, false);
});

test("derivePasswordKeys refuses weak parameters from the server, in words", async () => {
  await assert.rejects(derivePasswordKeys(password, { ...vectorAccount.kdf, iterations: 1000 }),
    isUserFacing(/refused the server's key-derivation settings.*1000 PBKDF2 iterations/));
  await assert.rejects(derivePasswordKeys(password, { ...vectorAccount.kdf, algorithm: "argon2id" }), isUserFacing(/only PBKDF2-SHA256/));
  await assert.rejects(derivePasswordKeys("", vectorAccount.kdf), isUserFacing(/Enter your password/));
});

test("unlock opens the vector account: non-extractable keys that open its records", async () => {
  const keys = await unlock(vectorAccount, password);
  assert.equal(keys.userId, userId);
  assert.equal(keys.userKey.extractable, false);
  assert.equal(keys.privateKey.extractable, false);
  assert.equal(toBase64(keys.publicKey), vectorAccount.publicKey);
  const text = await openText(keys, "chat.title", titleEnvelope!.recordId, title(), "chat title");
  assert.equal(toHex(new TextEncoder().encode(text)), titleEnvelope!.plaintext);
});

test("unlock with a wrong password says so and nothing else", async () => {
  await assert.rejects(unlock(vectorAccount, "wrong horse"), (e: unknown) => e instanceof UserFacingError && e.message === "Wrong password.");
});

test("unlock refuses a public key that does not belong to the private key", async () => {
  const other = await createAccount("other@example.com", "another password");
  await assert.rejects(unlock({ ...vectorAccount, publicKey: other.request.publicKey }, password), isUserFacing(/public key does not match/));
});

test("unlock refuses a user key envelope moved from another record", async () => {
  const moved = { ...vectorAccount, userKey: { ...vectorAccount.userKey, envelope: b64(recoveryEnvelope!.envelope) } };
  await assert.rejects(unlock(moved, password), isUserFacing(/^Wrong password\.$/));
});

test("createAccount: the request carries no password or recovery code, and unlocks with the password", async () => {
  const secret = "canary-password-7f3a";
  const account = await createAccount("new@example.com", secret);
  const body = JSON.stringify(account.request);
  assert.ok(!body.includes(secret));
  assert.ok(!body.includes(account.recoveryCode));
  assert.ok(!body.includes(account.recoveryCode.replace(/-/g, "")));
  assert.equal(account.request.kdf.iterations, 600000);
  assert.equal(fromBase64(account.request.kdf.salt).length, 16);
  assert.match(account.request.userId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(account.request.userKey.recordId, account.request.userId);
  assert.equal(fromBase64(account.request.publicKey).length, 65);
  assert.match(account.recoveryCode, /^([A-Z2-7]{4}-){7}[A-Z2-7]{4}$/);

  const keys = await unlock(accountFrom(account.request), secret);
  assert.equal(toBase64(keys.publicKey), account.request.publicKey);
  assert.equal(account.keys.userKey.extractable, false);

  // The recovery envelope opens with the code and holds the same userKey as the password's envelope.
  const wrappingKey = await deriveRecoveryWrappingKey(parseRecoveryCode(account.recoveryCode));
  const fromRecovery = await openEnvelope(wrappingKey, fromBase64(account.request.recovery!.userKey.envelope),
    { kind: "user.recovery-key", userId: account.request.userId, recordId: account.request.userId });
  assert.equal(fromRecovery.length, 32);
  const asKey = await importAesGcmKey(fromRecovery);
  await openEnvelope(asKey, fromBase64(account.request.privateKey.envelope),
    { kind: "user.private-key", userId: account.request.userId, recordId: account.request.userId });
});

test("changePassword re-wraps the same user key under a new salt; the old password stops working", async () => {
  await assert.rejects(changePassword(vectorAccount, "not it", "new password 1"), isUserFacing(/^The current password is wrong\.$/));
  const request = await changePassword(vectorAccount, password, "new password 1");
  assert.equal(request.currentAuthKey, b64(master.authKey));
  assert.notEqual(request.kdf.salt, vectorAccount.kdf.salt);
  const changed = { ...vectorAccount, kdf: request.kdf, userKey: request.userKey };
  const keys = await unlock(changed, "new password 1");
  await openText(keys, "chat.title", titleEnvelope!.recordId, title(), "chat title");
  await assert.rejects(unlock(changed, password), isUserFacing(/^Wrong password\.$/));
});

test("replaceRecoveryCode: a new code whose envelope opens to the user key", async () => {
  const { request, recoveryCode } = await replaceRecoveryCode(vectorAccount, password);
  assert.equal(request.currentAuthKey, b64(master.authKey));
  const proof = await recoveryProof(recoveryCode);
  assert.equal(proof.recoveryAuthKey, request.recovery.authKey);
  const reset = await resetWithRecovery("vector@example.com", { userId, recoveryUserKey: request.recovery.userKey }, proof, "after recovery");
  await unlock({ ...vectorAccount, kdf: reset.request.kdf, userKey: reset.request.userKey }, "after recovery");
});

test("recovery with the vector code: proof matches, new password opens the same data", async () => {
  const code = v.recoveryCodes[0]!;
  const proof = await recoveryProof(code.alsoParses[0] ?? code.code);
  assert.equal(proof.recoveryAuthKey, b64(code.authKey));
  const verified = { userId, recoveryUserKey: { kind: "user.recovery-key", recordId: userId, envelope: b64(recoveryEnvelope!.envelope) } };
  const { request, passwordKeys } = await resetWithRecovery("vector@example.com", verified, proof, "brand new password");
  assert.equal(request.authKey, passwordKeys.authKey);
  assert.equal(request.recoveryAuthKey, b64(code.authKey));
  const keys = await unlock({ ...vectorAccount, kdf: request.kdf, userKey: request.userKey }, "brand new password");
  await openText(keys, "chat.title", titleEnvelope!.recordId, title(), "chat title");
});

test("recovery refuses a malformed code without repeating it, and a code that does not open the key", async () => {
  await assert.rejects(recoveryProof("ABCD-0000"), (e: unknown) => e instanceof UserFacingError && !e.message.includes("ABCD"));
  const other = await recoveryProof("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA");
  const verified = { userId, recoveryUserKey: { kind: "user.recovery-key", recordId: userId, envelope: b64(recoveryEnvelope!.envelope) } };
  await assert.rejects(resetWithRecovery("vector@example.com", verified, other, "x"), isUserFacing(/does not open your key/));
});

test("deleteAccountRequest checks the password locally and sends its authKey", async () => {
  assert.deepEqual(await deleteAccountRequest(vectorAccount, password), { authKey: b64(master.authKey) });
  await assert.rejects(deleteAccountRequest(vectorAccount, "nope"), isUserFacing(/current password is wrong/));
});

test("signInWith logs in with the authKey only and opens the account the login answer carries", async () => {
  const derived = await derivePasswordKeys(password, vectorAccount.kdf);
  const sent: unknown[] = [];
  const api = {
    login: async (request: unknown) => {
      sent.push(request);
      return { token: "pd_s_token", sessionId: "0b5e5510-0000-4000-8000-000000000001", expiresAt: null, account: vectorAccount };
    },
  } as unknown as Api;

  const { session, keys } = await signInWith(api, vectorAccount.email, derived);

  assert.deepEqual(session, { token: "pd_s_token", sessionId: "0b5e5510-0000-4000-8000-000000000001", userId, email: vectorAccount.email });
  assert.equal(sent.length, 1);
  const request = sent[0] as Record<string, unknown>;
  assert.deepEqual(Object.keys(request).sort(), ["authKey", "deviceName", "email"]);
  assert.equal(request["authKey"], b64(master.authKey));
  assert.equal(toBase64(keys.publicKey), vectorAccount.publicKey);
  assert.equal(keys.userKey.extractable, false);
});

// Issue 13, finding 15f: sign-up takes the salt pre-login gave for the e-mail, so pre-login answers the same after.
test("createAccount uses the KDF parameters pre-login gave, and still refuses weak ones", async () => {
  const offered = { algorithm: "PBKDF2-SHA256", iterations: 600000, salt: toBase64(new Uint8Array(16).fill(7)) };
  const account = await createAccount("new@example.com", "a password", offered);
  assert.deepEqual(account.request.kdf, offered);
  await assert.rejects(createAccount("new@example.com", "a password", { ...offered, iterations: 1000 }), /iterations/);
});
