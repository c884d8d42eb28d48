// The unlocked keys, held only in memory as non-extractable CryptoKeys. Locking drops the one reference the app
// holds (see account/key-holder.ts); nothing here is ever written to storage.

export interface Keys {
  readonly userId: string;
  /** AES-256-GCM, seals every vault record (chat titles and messages, credentials). Non-extractable. */
  readonly userKey: CryptoKey;
  /** The user's P-256 ECDH private key, recipient of sealed boxes. Non-extractable. */
  readonly privateKey: CryptoKey;
  /** The matching 65-byte uncompressed public point, as the server stores it. */
  readonly publicKey: Uint8Array<ArrayBuffer>;
}
