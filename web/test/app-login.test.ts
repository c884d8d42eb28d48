// The login viewer's pure parts: the opening it seals (proxyUrl always, connect when connecting), the keys a
// terminal's link carries, the server's word on a session checked against the page's, the API calls it makes, and the
// words for each end reason (the same as src/Polydev.Client/LoginSessions/LoginSessionEnding.cs).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Api } from "../src/app/api/client.ts";
import { UserFacingError } from "../src/app/api/errors.ts";
import { connectForTerminal, connectFromThisPage, connectMismatch, connectProvider } from "../src/app/login/connect.ts";
import { loginOpening, type OpeningInput } from "../src/app/login/opening.ts";
import { LoginSessionsClient } from "../src/app/login/sessions.ts";
import { cliName, connectedForTerminalSentence, connectedSentence, endingSentence, isKnownEnding } from "../src/app/login/words.ts";
import { fromBase64, toBase64 } from "../src/crypto/bytes.ts";
import { generateKeyPair } from "../src/crypto/p256.ts";

const base: OpeningInput = {
  sessionKey: new Uint8Array(32).fill(1),
  sandboxIceServers: [{ urls: ["turn:10.0.0.1:3478?transport=udp"], username: "u", credential: "c" }],
  size: { width: 1280, height: 800 },
  codecs: ["h264", "vp8"],
  startUrl: null,
  proxyUrl: "http://login:TOKEN@10.217.0.1:10001",
  connect: null,
};

test("the opening of a plain session carries the proxy URL and no connect, in the contract's member order", () => {
  const opening = loginOpening(base);
  assert.deepEqual(Object.keys(opening), ["version", "sessionKey", "iceServers", "width", "height", "codecs", "proxyUrl"]);
  assert.equal(opening.proxyUrl, "http://login:TOKEN@10.217.0.1:10001");
  assert.equal(opening.sessionKey, toBase64(new Uint8Array(32).fill(1)));
  assert.ok(!JSON.stringify(opening).includes("null"));
  assert.equal("proxyUrl" in loginOpening({ ...base, proxyUrl: null }), false);
});

test("the opening of a connecting session carries connect: provider, the recipient's 65-byte key, the proof key", async () => {
  const pair = await generateKeyPair();
  const proofKey = new Uint8Array(32).fill(9);
  const opening = loginOpening({ ...base, startUrl: "about:blank", connect: { provider: "anthropic", recipientPublicKey: pair.publicKey, proofKey } });
  assert.deepEqual(Object.keys(opening), ["version", "sessionKey", "iceServers", "width", "height", "codecs", "startUrl", "proxyUrl", "connect"]);
  assert.deepEqual(opening.connect, { provider: "anthropic", recipientPublicKey: toBase64(pair.publicKey), proofKey: toBase64(proofKey) });
  assert.equal(fromBase64(opening.connect!.recipientPublicKey).length, 65);
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(opening)).connect), ["provider", "recipientPublicKey", "proofKey"]);
});

const base64Url = (bytes: Uint8Array) => toBase64(bytes).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

test("a terminal's link: its keys come from the fragment (base64url), and must be this user's own", async () => {
  const own = await generateKeyPair();
  const proofKey = crypto.getRandomValues(new Uint8Array(32));
  const request = connectForTerminal("openai", `#pk=${base64Url(own.publicKey)}&ck=${base64Url(proofKey)}`, own.publicKey);
  assert.equal(request.forTerminal, true);
  assert.deepEqual(request.proofKey, proofKey);
  assert.deepEqual(request.recipientPublicKey, own.publicKey);

  const stranger = await generateKeyPair();
  assert.throws(() => connectForTerminal("openai", `#pk=${base64Url(stranger.publicKey)}&ck=${base64Url(proofKey)}`, own.publicKey),
    /not your account's/);
  assert.throws(() => connectForTerminal("openai", "", own.publicKey), /lacks the terminal's keys/);
  assert.throws(() => connectForTerminal("openai", `#pk=${base64Url(own.publicKey)}&ck=${base64Url(proofKey.slice(1))}`, own.publicKey), /lacks/);
  assert.throws(() => connectForTerminal("openai", `#pk=${toBase64(own.publicKey)}&ck=${base64Url(proofKey)}`, own.publicKey), /lacks/);
});

test("a session started here: the user's own key and a fresh 32-byte proof key each time", async () => {
  const own = await generateKeyPair();
  const a = connectFromThisPage("google", own.publicKey), b = connectFromThisPage("google", own.publicKey);
  assert.equal(a.forTerminal, false);
  assert.deepEqual(a.recipientPublicKey, own.publicKey);
  assert.equal(a.proofKey.length, 32);
  assert.notDeepEqual(a.proofKey, b.proofKey);
});

test("the connect query names a provider Polydev connects, or nothing", () => {
  assert.equal(connectProvider(null), null);
  assert.equal(connectProvider("anthropic"), "anthropic");
  assert.throws(() => connectProvider("claude"), UserFacingError);
});

test("the server's connect must agree with the page's", async () => {
  const own = await generateKeyPair();
  const request = connectFromThisPage("anthropic", own.publicKey);
  assert.equal(connectMismatch("anthropic", request), null);
  assert.equal(connectMismatch(null, null), null);
  assert.equal(connectMismatch(undefined, null), null);
  assert.match(connectMismatch("openai", request) ?? "", /connects Codex, but this page was asked to connect Claude Code/);
  assert.match(connectMismatch(null, request) ?? "", /connects no account/);
  assert.match(connectMismatch("google", null) ?? "", /started to connect a Gemini CLI account/);
});

test("the sessions client: start with and without connect, and the capture's route", async () => {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const api = { json: async (method: string, path: string, body?: unknown) => { calls.push({ method, path, body }); return {}; } } as unknown as Api;
  const sessions = new LoginSessionsClient(api);
  await sessions.start(undefined, "anthropic");
  await sessions.start();
  await sessions.credential("0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000");
  assert.deepEqual(calls, [
    { method: "POST", path: "/api/login-sessions", body: { connect: "anthropic" } },
    { method: "POST", path: "/api/login-sessions", body: undefined },
    { method: "GET", path: "/api/login-sessions/0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000/credential", body: undefined },
  ]);
});

test("words for the connect end reasons, and the success sentences", () => {
  for (const reason of ["connected", "credential_refused", "login_failed"]) assert.ok(isKnownEnding(reason), reason);
  assert.equal(endingSentence("connected"), "The account was connected.");
  assert.match(endingSentence("login_failed"), /ended without a credential \(refused or cancelled on the sign-in page\)\. Nothing was stored\.$/);
  assert.match(endingSentence("credential_refused"), /of a shape Polydev cannot use\. Nothing was stored\.$/);
  assert.equal(endingSentence("something_new"), "This session has ended.");
  assert.equal(connectedSentence("anthropic", "alice@example.com"), "Connected Claude Code as alice@example.com.");
  assert.equal(connectedSentence("google", null), "Connected Gemini CLI.");
  assert.equal(connectedForTerminalSentence, "Connected — your terminal stores the credential.");
  assert.deepEqual(["anthropic", "openai", "google", "x"].map(cliName), ["Claude Code", "Codex", "Gemini CLI", "The x CLI"]);
});
