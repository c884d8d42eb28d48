// Connecting a provider account in a login session (docs/login-sessions.md, docs/web.md): whom the captured
// credential is sealed to and which proof key tags it. Started here (/login-sessions/new?connect=PROVIDER), the page
// uses the unlocked user's own public key and a fresh proof key, and stores the credential itself. Started by the
// terminal (`polydev credentials login`), the link's fragment — which a browser never sends to a server — carries the
// terminal's two keys: this page seals them into the opening and stores nothing; the terminal checks and stores.
import { fromBase64, randomBytes, toBase64 } from "../../crypto/bytes.ts";
import { proofKeyLength } from "../../crypto/credential-capture.ts";
import { publicKeyLength } from "../../crypto/p256.ts";
import { UserFacingError } from "../api/errors.ts";
import { providers, type Provider } from "../api/types.ts";
import { cliName } from "./words.ts";

export interface ConnectRequest {
  readonly provider: Provider;
  readonly recipientPublicKey: Uint8Array<ArrayBuffer>;
  readonly proofKey: Uint8Array<ArrayBuffer>;
  /** The terminal that started the session holds the proof key and stores the credential; this page stores nothing. */
  readonly forTerminal: boolean;
}

/** The `connect` query value as a provider; null when absent. Throws on a name Polydev does not connect. */
export function connectProvider(text: string | null): Provider | null {
  if (text === null) return null;
  if ((providers as readonly string[]).includes(text)) return text as Provider;
  throw new UserFacingError(`“${text}” is not a provider Polydev connects (${providers.join(", ")}).`);
}

/** A session this page starts: sealed to the user's own key (from the private key this page holds), a fresh proof key. */
export function connectFromThisPage(provider: Provider, ownPublicKey: Uint8Array<ArrayBuffer>): ConnectRequest {
  return { provider, recipientPublicKey: ownPublicKey, proofKey: randomBytes(proofKeyLength), forTerminal: false };
}

/**
 * A session the terminal started: its keys from the fragment `#pk=…&ck=…` (base64url, ViewerAddress.ForConnect). The
 * public key must be this user's own: a link that would seal the credential to anyone else is refused.
 */
export function connectForTerminal(provider: Provider, hash: string, ownPublicKey: Uint8Array<ArrayBuffer>): ConnectRequest {
  const fields = new URLSearchParams(hash.replace(/^#/, ""));
  const publicKey = base64Url(fields.get("pk"));
  const proofKey = base64Url(fields.get("ck"));
  if (publicKey === null || proofKey === null || publicKey.length !== publicKeyLength || proofKey.length !== proofKeyLength) {
    throw new UserFacingError(`This session connects your ${cliName(provider)} account for the terminal that started it, but this link lacks the terminal's keys. Open the exact link the terminal printed.`);
  }
  if (toBase64(publicKey) !== toBase64(ownPublicKey)) {
    throw new UserFacingError("This link would seal the credential to a key that is not your account's. Nothing was started; connect from your own terminal or from the Providers page.");
  }
  return { provider, recipientPublicKey: publicKey, proofKey, forTerminal: true };
}

/**
 * Why this page cannot open the session the server described, or null when the server's `connect` and the page's agree.
 * The opening says what the agent does; a mismatch means a wrong link or a server steering the session elsewhere.
 */
export function connectMismatch(serverConnect: string | null | undefined, request: ConnectRequest | null): string | null {
  const server = serverConnect ?? null;
  const page = request?.provider ?? null;
  if (server === page) return null;
  if (page === null) {
    return `This session was started to connect a ${cliName(server!)} account. Open the link the terminal printed (it carries the keys for the credential), or connect from the Providers page.`;
  }
  if (server === null) return `The server says this session connects no account, but this page was asked to connect ${cliName(page)}. Start a new one from the Providers page.`;
  return `The server says this session connects ${cliName(server)}, but this page was asked to connect ${cliName(page)}. Start a new one from the Providers page.`;
}

function base64Url(text: string | null): Uint8Array<ArrayBuffer> | null {
  if (text === null || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  try {
    return fromBase64(standard + "=".repeat((4 - (standard.length % 4)) % 4));
  } catch {
    return null;
  }
}
