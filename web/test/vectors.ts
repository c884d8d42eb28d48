// Loads the C# library's vector files from the repository's tests/vectors, found by walking up from the bundled
// test file (web/.build/test/*.js), so `npm test` works from web/ or via `npm --prefix web test` from the root.
import { existsSync, readFileSync } from "node:fs";
import { fromHex } from "../src/crypto/bytes.ts";

function findVectorsDir(): URL {
  for (let dir = new URL("./", import.meta.url); dir.pathname !== "/"; dir = new URL("../", dir)) {
    const candidate = new URL("tests/vectors/", dir);
    if (existsSync(new URL("polydev-crypto.json", candidate))) return candidate;
  }
  throw new Error("tests/vectors/polydev-crypto.json not found above the test bundle; run npm test inside the Polydev repository.");
}

const vectorsDir = findVectorsDir();

/** Where a vector file lives in the source tree (for the generator that writes web-crypto.json). */
export function vectorFileUrl(file: string): URL {
  return new URL(file, vectorsDir);
}

export function loadVectors<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(file, vectorsDir), "utf8")) as T;
}

export const hex = fromHex;

export interface MasterKeyVector {
  name: string; password: string; passwordNfcUtf8: string;
  kdf: { algorithm: string; iterations: number; salt: string };
  masterKey: string; authKey: string; kek: string;
}
export interface EnvelopeVector {
  name: string; kind: string; userId: string; recordId: string; binding?: string; key: string; nonce: string;
  plaintext: string; associatedData: string; envelope: string;
}
export interface BadEnvelopeVector {
  name: string; kind: string; userId: string; recordId: string; binding?: string; key: string; envelope: string; failure: "authentication" | "shape";
}
export interface RecoveryCodeVector { bytes: string; code: string; alsoParses: string[]; wrappingKey: string; authKey: string }
export interface SealedBoxVector {
  purpose: string; info: string; aad: string; recipientIkm: string; recipientPrivateKey: string; recipientPublicKey: string;
  ephemeralIkm: string; enc: string; plaintext: string; sealedBox: string;
}
export interface PolydevVectors {
  masterKeys: MasterKeyVector[];
  envelopes: EnvelopeVector[];
  envelopesThatMustNotOpen: BadEnvelopeVector[];
  recoveryCodes: RecoveryCodeVector[];
  recoveryCodesThatMustNotParse: { text: string; reason: string }[];
  sealedBoxes: SealedBoxVector[];
}
export interface HpkeVector {
  name: string; mode: number; kem_id: number; kdf_id: number; aead_id: number; info: string;
  ikmE: string; skEm?: string; pkEm?: string; ikmR: string; skRm: string; pkRm: string; enc: string;
  shared_secret: string; key: string; base_nonce: string; encryptions: { aad: string; pt: string; ct: string }[];
}
export interface OutputStreamVectors {
  key: string;
  chunks: { sequence: number; final: boolean; plaintext: string; nonce: string; associatedData: string; frame: string }[];
  stream: string;
  streamsThatMustFail: { description: string; startSequence: number; stream: string; failure: string }[];
}

export interface CredentialCaptureVectors {
  purpose: string; tagInfo: string; recipientIkm: string; recipientPrivateKey: string; recipientPublicKey: string;
  proofKey: string; tagKey: string;
  captures: { ephemeralIkm: string; plaintext: string; sealedBox: string; tag: string; capture: string }[];
  capturesThatMustNotOpen: { description: string; proofKey: string; capture: string; failure: "tag" | "box" | "shape" }[];
}

export const polydev = () => loadVectors<PolydevVectors>("polydev-crypto.json");
export const credentialCaptures = () => loadVectors<CredentialCaptureVectors>("credential-capture.json");
