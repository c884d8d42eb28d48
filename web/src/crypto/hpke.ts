// HPKE (RFC 9180) base mode, single-shot: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (and AES-128-GCM,
// only for the RFC's Appendix A.3.1 vector). Web Crypto has no HKDF-Extract/Expand, so both are built on HMAC.
import { concat, i2osp, importAesGcmKey, subtle, utf8 } from "./bytes.ts";
import { diffieHellman, generateKeyPair, importScalar, isValidScalar, type P256KeyPair } from "./p256.ts";

export const kemP256HkdfSha256 = 0x0010;
export const kdfHkdfSha256 = 0x0001;
export const aeadAes128Gcm = 0x0001;
export const aeadAes256Gcm = 0x0002;
export type HpkeAead = typeof aeadAes128Gcm | typeof aeadAes256Gcm;

const hashLength = 32;
const nonceLength = 12;
const versionLabel = utf8("HPKE-v1");
const kemSuiteId = concat(utf8("KEM"), i2osp(kemP256HkdfSha256, 2));

function hpkeSuiteId(aead: HpkeAead): Uint8Array<ArrayBuffer> {
  return concat(utf8("HPKE"), i2osp(kemP256HkdfSha256, 2), i2osp(kdfHkdfSha256, 2), i2osp(aead, 2));
}

function keyLength(aead: HpkeAead): number {
  return aead === aeadAes256Gcm ? 32 : 16;
}

async function hmacSha256(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const hmacKey = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", hmacKey, data));
}

/** HKDF-Extract; Web Crypto refuses zero-length HMAC keys, and RFC 5869 defines the empty salt as Nh zero bytes. */
function extract(salt: Uint8Array<ArrayBuffer>, ikm: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return hmacSha256(salt.length === 0 ? new Uint8Array(hashLength) : salt, ikm);
}

async function expand(prk: Uint8Array<ArrayBuffer>, info: Uint8Array<ArrayBuffer>, length: number): Promise<Uint8Array<ArrayBuffer>> {
  if (length > 255 * hashLength) throw new RangeError("HKDF-Expand length too large.");
  const out = new Uint8Array(length);
  let block: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++) {
    block = await hmacSha256(prk, concat(block, info, Uint8Array.of(i)));
    out.set(block.subarray(0, Math.min(hashLength, length - offset)), offset);
    offset += hashLength;
  }
  return out;
}

export function labeledExtract(suiteId: Uint8Array, salt: Uint8Array<ArrayBuffer>, label: string, ikm: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return extract(salt, concat(versionLabel, suiteId, utf8(label), ikm));
}

export function labeledExpand(suiteId: Uint8Array, prk: Uint8Array<ArrayBuffer>, label: string, info: Uint8Array, length: number): Promise<Uint8Array<ArrayBuffer>> {
  return expand(prk, concat(i2osp(length, 2), versionLabel, suiteId, utf8(label), info), length);
}

const empty = new Uint8Array(0);

/** RFC 9180 §7.1.3 DeriveKeyPair for P-256 (bitmask 0xFF): test vectors and deterministic ephemeral keys only. */
export async function deriveKeyPair(ikm: Uint8Array<ArrayBuffer>): Promise<{ scalar: Uint8Array<ArrayBuffer>; keyPair: P256KeyPair }> {
  if (ikm.length < 32) throw new Error("DeriveKeyPair needs at least 32 bytes of input keying material.");
  const dkpPrk = await labeledExtract(kemSuiteId, empty, "dkp_prk", ikm);
  for (let counter = 0; counter < 256; counter++) {
    const candidate = await labeledExpand(kemSuiteId, dkpPrk, "candidate", i2osp(counter, 1), 32);
    if (isValidScalar(candidate)) return { scalar: candidate, keyPair: await importScalar(candidate) };
  }
  throw new Error("DeriveKeyPair found no valid P-256 scalar.");
}

async function extractAndExpand(dh: Uint8Array<ArrayBuffer>, kemContext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const eaePrk = await labeledExtract(kemSuiteId, empty, "eae_prk", dh);
  return labeledExpand(kemSuiteId, eaePrk, "shared_secret", kemContext, 32);
}

export async function encap(recipientPublicKey: Uint8Array<ArrayBuffer>, ephemeral: P256KeyPair): Promise<{ sharedSecret: Uint8Array<ArrayBuffer>; enc: Uint8Array<ArrayBuffer> }> {
  const dh = await diffieHellman(ephemeral.privateKey, recipientPublicKey);
  const enc = ephemeral.publicKey;
  return { sharedSecret: await extractAndExpand(dh, concat(enc, recipientPublicKey)), enc };
}

export async function decap(enc: Uint8Array<ArrayBuffer>, recipient: P256KeyPair): Promise<Uint8Array<ArrayBuffer>> {
  const dh = await diffieHellman(recipient.privateKey, enc);
  return extractAndExpand(dh, concat(enc, recipient.publicKey));
}

/** Base-mode key schedule (psk and psk_id empty). */
export async function keySchedule(sharedSecret: Uint8Array<ArrayBuffer>, info: Uint8Array, aead: HpkeAead): Promise<{ key: Uint8Array<ArrayBuffer>; baseNonce: Uint8Array<ArrayBuffer> }> {
  const suiteId = hpkeSuiteId(aead);
  const pskIdHash = await labeledExtract(suiteId, empty, "psk_id_hash", empty);
  const infoHash = await labeledExtract(suiteId, empty, "info_hash", info);
  const context = concat(Uint8Array.of(0x00), pskIdHash, infoHash);
  const secret = await labeledExtract(suiteId, sharedSecret, "secret", empty);
  const key = await labeledExpand(suiteId, secret, "key", context, keyLength(aead));
  const baseNonce = await labeledExpand(suiteId, secret, "base_nonce", context, nonceLength);
  return { key, baseNonce };
}

async function aeadKey(key: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  try {
    return await importAesGcmKey(key);
  } finally {
    key.fill(0);
  }
}

/**
 * SealBase, single-shot (sequence number 0, so the nonce is base_nonce). `ephemeral` is for test vectors only;
 * production passes none and gets a fresh platform key pair.
 */
export async function sealBase(
  recipientPublicKey: Uint8Array<ArrayBuffer>, info: Uint8Array, aad: Uint8Array<ArrayBuffer>, plaintext: Uint8Array<ArrayBuffer>,
  aead: HpkeAead = aeadAes256Gcm, ephemeral?: P256KeyPair,
): Promise<{ enc: Uint8Array<ArrayBuffer>; ciphertext: Uint8Array<ArrayBuffer> }> {
  const { sharedSecret, enc } = await encap(recipientPublicKey, ephemeral ?? (await generateKeyPair()));
  const { key, baseNonce } = await keySchedule(sharedSecret, info, aead);
  const ciphertext = await subtle.encrypt({ name: "AES-GCM", iv: baseNonce, additionalData: aad, tagLength: 128 }, await aeadKey(key), plaintext);
  return { enc, ciphertext: new Uint8Array(ciphertext) };
}

/** OpenBase; rejects (throws) on any failure. */
export async function openBase(
  enc: Uint8Array<ArrayBuffer>, recipient: P256KeyPair, info: Uint8Array, aad: Uint8Array<ArrayBuffer>, ciphertext: Uint8Array<ArrayBuffer>,
  aead: HpkeAead = aeadAes256Gcm,
): Promise<Uint8Array<ArrayBuffer>> {
  const sharedSecret = await decap(enc, recipient);
  const { key, baseNonce } = await keySchedule(sharedSecret, info, aead);
  const plaintext = await subtle.decrypt({ name: "AES-GCM", iv: baseNonce, additionalData: aad, tagLength: 128 }, await aeadKey(key), ciphertext);
  return new Uint8Array(plaintext);
}
