// The opening the viewer seals to the login sandbox (LoginOpening in src/Polydev.Contracts/Login/LoginOpening.cs,
// docs/login-sessions.md "The opening"). The agent refuses members it does not know, so every member is the
// contract's, and optional ones are left out rather than null.
import { toBase64 } from "../../crypto/bytes.ts";
import type { IceServer } from "./sessions.ts";

export const openingPurpose = "login.session";

/** LoginConnect: which CLI logs in, whom its credential is sealed to, and the key its capture is tagged under. */
export interface LoginConnect {
  readonly provider: string;
  /** 65-byte uncompressed P-256 public key, base64. */
  readonly recipientPublicKey: string;
  /** 32 bytes, base64: the server never sees them, so it cannot tag a capture of its own. */
  readonly proofKey: string;
}

export interface LoginOpening {
  readonly version: 1;
  readonly sessionKey: string;
  readonly iceServers: readonly IceServer[];
  readonly width: number;
  readonly height: number;
  readonly codecs: readonly string[];
  readonly startUrl?: string;
  readonly proxyUrl?: string;
  readonly connect?: LoginConnect;
}

export interface OpeningInput {
  readonly sessionKey: Uint8Array;
  readonly sandboxIceServers: readonly IceServer[];
  readonly size: { readonly width: number; readonly height: number };
  readonly codecs: readonly string[];
  readonly startUrl: string | null;
  /** From the start (or attach) answer: the remote browser's only way out, so a plain session carries it too. */
  readonly proxyUrl: string | null | undefined;
  readonly connect: {
    readonly provider: string;
    readonly recipientPublicKey: Uint8Array;
    readonly proofKey: Uint8Array;
  } | null;
}

export function loginOpening(input: OpeningInput): LoginOpening {
  return {
    version: 1,
    sessionKey: toBase64(input.sessionKey),
    iceServers: input.sandboxIceServers,
    width: input.size.width,
    height: input.size.height,
    codecs: input.codecs,
    ...(input.startUrl === null ? {} : { startUrl: input.startUrl }),
    ...(input.proxyUrl ? { proxyUrl: input.proxyUrl } : {}),
    ...(input.connect === null ? {} : {
      connect: {
        provider: input.connect.provider,
        recipientPublicKey: toBase64(input.connect.recipientPublicKey),
        proofKey: toBase64(input.connect.proofKey),
      },
    }),
  };
}
