// Password -> masterKey (PBKDF2-HMAC-SHA256) and the HKDF derivations of docs/crypto.md, "Password to master key".
import { isWellFormed, subtle, utf8 } from "./bytes.ts";

export const kdfAlgorithm = "PBKDF2-SHA256";
export const minimumIterations = 600000;
/** A server must not make the client spin: the C# client's bound too (KdfParameters.MaximumIterations). */
export const maximumIterations = 10000000;
export const minimumSaltLength = 16;
export const maximumSaltLength = 64;

export interface KdfParameters {
  readonly algorithm: string;
  readonly iterations: number;
  readonly salt: Uint8Array<ArrayBuffer>;
}

/** Thrown when the server hands out parameters below the downgrade rule; never clamped. */
export class WeakKdfParametersError extends Error {
  override name = "WeakKdfParametersError";
}

/** The downgrade rule, checked in the documented order before anything is derived. */
export function ensureAcceptable(parameters: KdfParameters): void {
  if (parameters.algorithm !== kdfAlgorithm) {
    throw new WeakKdfParametersError(
      "The server asked for an unsupported key-derivation algorithm; this client supports only PBKDF2-SHA256.");
  }
  if (!Number.isSafeInteger(parameters.iterations) || parameters.iterations < minimumIterations) {
    throw new WeakKdfParametersError(
      `The server asked for ${parameters.iterations} PBKDF2 iterations; this client requires at least ${minimumIterations}.`);
  }
  if (parameters.iterations > maximumIterations) {
    throw new WeakKdfParametersError(
      `The server asked for ${parameters.iterations} PBKDF2 iterations; this client does at most ${maximumIterations}.`);
  }
  if (parameters.salt.length < minimumSaltLength) {
    throw new WeakKdfParametersError(
      `The server sent a KDF salt of ${parameters.salt.length} bytes; this client requires at least ${minimumSaltLength}.`);
  }
  if (parameters.salt.length > maximumSaltLength) {
    throw new WeakKdfParametersError(
      `The server sent a KDF salt of ${parameters.salt.length} bytes; this client accepts at most ${maximumSaltLength}.`);
  }
}

/** UTF8(NFC(password)); a lone surrogate is refused rather than replaced with U+FFFD. */
export function passwordBytes(password: string): Uint8Array<ArrayBuffer> {
  if (!isWellFormed(password)) throw new Error("The password contains an unpaired UTF-16 surrogate.");
  return utf8(password.normalize("NFC"));
}

/** The 32 masterKey bytes. Web Crypto cannot chain PBKDF2 into HKDF as keys, so the bits pass through memory once. */
export async function deriveMasterKeyBytes(password: string, parameters: KdfParameters): Promise<Uint8Array<ArrayBuffer>> {
  ensureAcceptable(parameters);
  const passwordKey = await subtle.importKey("raw", passwordBytes(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: parameters.salt, iterations: parameters.iterations }, passwordKey, 256);
  return new Uint8Array(bits);
}

/** masterKey as a non-extractable HKDF key: the form every later derivation takes. */
export async function deriveMasterKey(password: string, parameters: KdfParameters): Promise<CryptoKey> {
  const bytes = await deriveMasterKeyBytes(password, parameters);
  try {
    return await importHkdfKey(bytes);
  } finally {
    bytes.fill(0);
  }
}

export function importHkdfKey(ikm: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits", "deriveKey"]);
}

const emptySalt = new Uint8Array(0);

/** HKDF-SHA256(IKM, salt = empty, info), `length` bytes. */
export async function hkdfBytes(ikm: CryptoKey, info: string, length = 32): Promise<Uint8Array<ArrayBuffer>> {
  const bits = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: emptySalt, info: utf8(info) }, ikm, length * 8);
  return new Uint8Array(bits);
}

/** HKDF-SHA256(IKM, salt = empty, info) straight into a non-extractable AES-256-GCM key. */
export function hkdfAesKey(ikm: CryptoKey, info: string): Promise<CryptoKey> {
  return subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: emptySalt, info: utf8(info) }, ikm,
    { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/** HKDF-SHA256(IKM, salt = empty, info), 32 bytes, straight into a non-extractable HMAC-SHA256 key (sign and verify). */
export function hkdfHmacKey(ikm: CryptoKey, info: string): Promise<CryptoKey> {
  return subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: emptySalt, info: utf8(info) }, ikm,
    { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign", "verify"]);
}

export const authInfo = "polydev/auth";
export const kekInfo = "polydev/kek";

/** authKey: sent at sign-up and login, so it is bytes by necessity. */
export function deriveAuthKey(masterKey: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  return hkdfBytes(masterKey, authInfo);
}

/** kek: never leaves the client, so it only ever exists as a non-extractable AES-GCM key. */
export function deriveKek(masterKey: CryptoKey): Promise<CryptoKey> {
  return hkdfAesKey(masterKey, kekInfo);
}
