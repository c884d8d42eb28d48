// Polydev's client-side cryptography on Web Crypto only; formats in docs/crypto.md, reference in src/Polydev.Crypto.
export * from "./bytes.ts";
export * from "./kdf.ts";
export * from "./envelope.ts";
export * from "./recovery.ts";
export * from "./p256.ts";
export * as hpke from "./hpke.ts";
export * as sealedBox from "./sealed-box.ts";
export * from "./output-stream.ts";
export * as credentialCapture from "./credential-capture.ts";
