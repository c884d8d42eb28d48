// Loads the C# library's vector files from tests/vectors (the repository root, two levels above web/.build).
import { readFileSync } from "node:fs";
import { fromHex } from "../src/crypto/bytes.ts";

const vectorsDir = new URL("../../tests/vectors/", import.meta.url);

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
  name: string; kind: string; userId: string; recordId: string; key: string; nonce: string;
  plaintext: string; associatedData: string; envelope: string;
}
export interface BadEnvelopeVector {
  name: string; kind: string; userId: string; recordId: string; key: string; envelope: string; failure: "authentication" | "shape";
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

export const polydev = () => loadVectors<PolydevVectors>("polydev-crypto.json");
