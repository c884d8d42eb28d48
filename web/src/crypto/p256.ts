// P-256 keys on Web Crypto: raw 65-byte public points, private keys as non-extractable ECDH CryptoKeys.
import { concat, fromBase64, fromHex, subtle } from "./bytes.ts";

export const publicKeyLength = 65;
export const scalarLength = 32;
export const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** A P-256 private key and its public point; the private half never leaves Web Crypto. */
export interface P256KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: Uint8Array<ArrayBuffer>;
}

const ecdh = { name: "ECDH", namedCurve: "P-256" } as const;

export async function importPublicKey(publicKey: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (publicKey.length !== publicKeyLength || publicKey[0] !== 0x04) {
    throw new Error("A P-256 public key must be 65 bytes: 0x04 followed by the X and Y coordinates.");
  }
  try {
    return await subtle.importKey("raw", publicKey, ecdh, true, []);
  } catch {
    throw new Error("The public key is not a point on the P-256 curve.");
  }
}

/** Exactly 65 bytes, 0x04, and on the curve (the platform import succeeds). */
export async function isValidPublicKey(publicKey: Uint8Array<ArrayBuffer>): Promise<boolean> {
  try {
    await importPublicKey(publicKey);
    return true;
  } catch {
    return false;
  }
}

export function isValidScalar(scalar: Uint8Array): boolean {
  if (scalar.length !== scalarLength) return false;
  let n = 0n;
  for (const b of scalar) n = (n << 8n) | BigInt(b);
  return n > 0n && n < order;
}

// PrivateKeyInfo for P-256 with only the scalar (RFC 5915 ECPrivateKey without the optional public key).
const scalarPkcs8Prefix = fromHex("3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420");

function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(standard + "=".repeat((4 - (standard.length % 4)) % 4));
}

/**
 * Imports a raw scalar (test vectors, DeriveKeyPair). Web Crypto has no scalar-multiply, so the public point comes
 * from a short-lived extractable import exported as JWK; the key handed back is a fresh non-extractable import.
 */
export async function importScalar(scalar: Uint8Array<ArrayBuffer>): Promise<P256KeyPair> {
  if (!isValidScalar(scalar)) throw new Error("A P-256 private key must be a 32-byte scalar between 1 and the group order.");
  const pkcs8 = concat(scalarPkcs8Prefix, scalar);
  try {
    const transient = await subtle.importKey("pkcs8", pkcs8, ecdh, true, ["deriveBits"]);
    const jwk = await subtle.exportKey("jwk", transient);
    const publicKey = concat(Uint8Array.of(0x04), base64UrlToBytes(jwk.x!), base64UrlToBytes(jwk.y!));
    const privateKey = await subtle.importKey("pkcs8", pkcs8, ecdh, false, ["deriveBits"]);
    return { privateKey, publicKey };
  } finally {
    pkcs8.fill(0);
  }
}

/** Length of the outer DER SEQUENCE (header included), or -1 when the bytes do not start with one. */
function derSequenceLength(der: Uint8Array): number {
  if (der.length < 2 || der[0] !== 0x30) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 3 || der.length < 2 + count) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = (length << 8) | der[2 + i]!;
  return 2 + count + length;
}

/**
 * Imports a PKCS#8 P-256 private key (any valid encoding) as a non-extractable ECDH key with its public point.
 * Other curves are refused by the import itself; trailing bytes are refused here, because Node's import ignores them.
 */
export async function importPkcs8(pkcs8: Uint8Array<ArrayBuffer>): Promise<P256KeyPair> {
  if (derSequenceLength(pkcs8) !== pkcs8.length) throw new Error("The data is not a PKCS#8 private key, or has trailing bytes.");
  let transient: CryptoKey;
  try {
    transient = await subtle.importKey("pkcs8", pkcs8, ecdh, true, ["deriveBits"]);
  } catch {
    // The platform's message is dropped: it describes the parse failure of secret bytes.
    throw new Error("The data is not a PKCS#8 P-256 private key.");
  }
  const jwk = await subtle.exportKey("jwk", transient);
  if (jwk.crv !== "P-256") throw new Error("The private key is not on P-256.");
  const publicKey = concat(Uint8Array.of(0x04), base64UrlToBytes(jwk.x!), base64UrlToBytes(jwk.y!));
  const privateKey = await subtle.importKey("pkcs8", pkcs8, ecdh, false, ["deriveBits"]);
  return { privateKey, publicKey };
}

/**
 * A new user key pair and the PKCS#8 to seal as a user.private-key envelope. The generated key is extractable only
 * for that one export; the key handed back is a non-extractable re-import.
 */
export async function generateUserKeyPair(): Promise<{ keyPair: P256KeyPair; pkcs8: Uint8Array<ArrayBuffer> }> {
  const transient = await subtle.generateKey(ecdh, true, ["deriveBits"]);
  const pkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", transient.privateKey));
  return { keyPair: await importPkcs8(pkcs8), pkcs8 };
}

/** A fresh key pair from the platform generator; the private key is non-extractable. */
export async function generateKeyPair(): Promise<P256KeyPair> {
  const pair = await subtle.generateKey(ecdh, false, ["deriveBits"]);
  const publicKey = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey };
}

/** DH(sk, pk): the 32-byte X coordinate of the shared point. */
export async function diffieHellman(privateKey: CryptoKey, publicKey: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const peer = await importPublicKey(publicKey);
  return new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: peer }, privateKey, 256));
}
