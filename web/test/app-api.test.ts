// The fetch wrapper and its error mapping: problem+json detail shown as is, plain words otherwise, 401 with a token
// ends the session, network failures say so, pages are followed, secrets stay in bodies.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { Api } from "../src/app/api/client.ts";
import { ApiError, cannotReachServer, errorFromResponse, sessionEnded, userMessage, UserFacingError } from "../src/app/api/errors.ts";

const problem = (status: number, detail: string, extra: object = {}) =>
  new Response(JSON.stringify({ type: "about:blank", title: "Bad", status, detail, ...extra }), { status, headers: { "Content-Type": "application/problem+json" } });

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

function stubFetch(handler: (url: string, init: RequestInit) => Response | Promise<Response>): { url: string; init: RequestInit }[] {
  const calls: { url: string; init: RequestInit }[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    return handler(String(input), init ?? {});
  }) as typeof fetch;
  return calls;
}

test("problem detail is the user message; field errors are kept", () => {
  const error = errorFromResponse(400, "application/problem+json; charset=utf-8",
    JSON.stringify({ title: "The request is not valid", detail: "Email: is not an e-mail address.", errors: { email: ["is not an e-mail address."] } }), false);
  assert.equal(error.status, 400);
  assert.equal(error.title, "The request is not valid");
  assert.equal(error.userMessage, "Email: is not an e-mail address.");
  assert.equal(error.message, error.userMessage);
  assert.deepEqual(error.fieldErrors, { email: ["is not an e-mail address."] });
});

test("no problem body: words by status", () => {
  assert.match(errorFromResponse(500, "text/html", "<h1>oops</h1>", true).userMessage, /had a problem \(error 500\)/);
  assert.match(errorFromResponse(503, null, "", true).userMessage, /not available right now/);
  assert.equal(errorFromResponse(429, null, "", false, "17").userMessage, "Too many attempts. Try again in 17 seconds.");
  assert.match(errorFromResponse(409, "application/json", "not json", true).userMessage, /changed elsewhere/);
});

test("401 with a token means the session ended, whatever the detail", () => {
  assert.equal(errorFromResponse(401, "application/problem+json", JSON.stringify({ detail: "The token is revoked." }), true).userMessage, sessionEnded);
  assert.equal(errorFromResponse(401, "application/problem+json", JSON.stringify({ detail: "The e-mail or password is wrong." }), false).userMessage,
    "The e-mail or password is wrong.");
});

test("a long multi-line detail becomes one bounded line", () => {
  const error = errorFromResponse(400, "application/problem+json", JSON.stringify({ detail: `a\nb\r\n${"x".repeat(900)}` }), false);
  assert.ok(!error.userMessage.includes("\n"));
  assert.ok(error.userMessage.length <= 501);
});

test("userMessage never shows an unexpected error's own text", () => {
  assert.equal(userMessage(new ApiError(400, null, "d", "shown")), "shown");
  assert.equal(userMessage(new UserFacingError("Wrong password.")), "Wrong password.");
  assert.match(userMessage(new TypeError("secret internals")), /^Something went wrong/);
});

test("requests: bearer token, JSON body, no credentials or referrer; the body is the only place for secrets", async () => {
  const calls = stubFetch(() => new Response(JSON.stringify({ kdf: { algorithm: "PBKDF2-SHA256", iterations: 600000, salt: "AA==" } }), { status: 200, headers: { "Content-Type": "application/json" } }));
  const api = new Api();
  api.setToken("pd_s_token");
  await api.prelogin("a@example.com");
  const [call] = calls;
  assert.equal(call!.url, "/api/auth/prelogin");
  assert.equal(call!.init.method, "POST");
  assert.equal(call!.init.credentials, "omit");
  assert.equal(call!.init.referrerPolicy, "no-referrer");
  const headers = new Headers(call!.init.headers);
  assert.equal(headers.get("Authorization"), "Bearer pd_s_token");
  assert.equal(headers.get("Content-Type"), "application/json");
  assert.deepEqual(JSON.parse(String(call!.init.body)), { email: "a@example.com" });
});

test("a network failure is ApiError 0 with the connection message", async () => {
  stubFetch(() => {
    throw new TypeError("Failed to fetch");
  });
  const error = await new Api().getAccount().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 0);
  assert.ok(error.isNetworkFailure);
  assert.equal(error.userMessage, cannotReachServer);
});

test("401 on a signed-in request calls onSessionEnded; without a token it does not", async () => {
  stubFetch(() => problem(401, "The session has expired."));
  let ended = 0;
  const api = new Api({ onSessionEnded: () => { ended += 1; } });
  await assert.rejects(api.login({ email: "a@example.com", authKey: "AA==", deviceName: null }), (e: unknown) => e instanceof ApiError && e.userMessage === "The session has expired.");
  assert.equal(ended, 0);
  api.setToken("pd_s_x");
  await assert.rejects(api.getAccount(), (e: unknown) => e instanceof ApiError && e.userMessage === sessionEnded);
  assert.equal(ended, 1);
});

test("allPages follows nextCursor at limit=200", async () => {
  const calls = stubFetch((url) => {
    const cursor = new URL(url, "http://x").searchParams.get("cursor");
    const body = cursor === null ? { items: [1, 2], nextCursor: "c/2" } : { items: [3], nextCursor: null };
    return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
  });
  const items = await new Api().allPages<number>("/api/vault/credentials?provider=openai");
  assert.deepEqual(items, [1, 2, 3]);
  assert.equal(calls[0]!.url, "/api/vault/credentials?provider=openai&limit=200");
  assert.equal(calls[1]!.url, "/api/vault/credentials?provider=openai&limit=200&cursor=c%2F2");
});

test("a 204 answer is fine for call(); a non-JSON success for json() is a clear error", async () => {
  stubFetch(() => new Response(null, { status: 204 }));
  await new Api().logout();
  stubFetch(() => new Response("<html>", { status: 200, headers: { "Content-Type": "text/html" } }));
  await assert.rejects(new Api().getAccount(), (e: unknown) => e instanceof ApiError && /does not understand/.test(e.userMessage));
});
