// Writes tests/vectors/web-crypto.json: key material, envelopes, sealed boxes and an output stream made by this
// TypeScript implementation on Web Crypto, for the C# library to open (tests/Polydev.Crypto.Tests/Vectors/
// WebVectorTests.cs). The C# vectors checked here run the other way; together they cover both directions.
// Run: npm run vectors (in web/). Random by design: each run writes a new, equally valid file.
import { writeFileSync } from "node:fs";
import { concat, fromHex, i2osp, importAesGcmKey, randomBytes, toHex, utf8 } from "../src/crypto/bytes.ts";
import { deriveAuthKey, deriveKek, deriveMasterKey, kdfAlgorithm, minimumIterations, type KdfParameters } from "../src/crypto/kdf.ts";
import { generateUserKey, sealEnvelope, type EnvelopeContext } from "../src/crypto/envelope.ts";
import { deriveRecoveryAuthKey, deriveRecoveryWrappingKey, formatRecoveryCode, generateRecoveryCode } from "../src/crypto/recovery.ts";
import { generateUserKeyPair } from "../src/crypto/p256.ts";
import { seal } from "../src/crypto/sealed-box.ts";
import { sealCapture } from "../src/crypto/credential-capture.ts";
import { sealOutputChunk } from "../src/crypto/output-stream.ts";
import { loadVectors, vectorFileUrl, type PolydevVectors } from "../test/vectors.ts";

const target = vectorFileUrl("web-crypto.json");

// A Chromium-like ordinary id (UUIDv4 from the platform); the server accepts any UUID the client chooses.
const newId = (): string => crypto.randomUUID();

async function account(name: string, password: string) {
  const userId = newId();
  const kdf: KdfParameters = { algorithm: kdfAlgorithm, iterations: minimumIterations, salt: randomBytes(16) };
  const masterKey = await deriveMasterKey(password, kdf);
  const authKey = await deriveAuthKey(masterKey);
  const kek = await deriveKek(masterKey);

  const userKey = await generateUserKey();
  const keyContext: EnvelopeContext = { kind: "user.key", userId, recordId: userId };
  const userKeyEnvelope = await sealEnvelope(kek, userKey.bytes, keyContext);

  const code = generateRecoveryCode();
  const recoveryKeyEnvelope = await sealEnvelope(
    await deriveRecoveryWrappingKey(code), userKey.bytes, { kind: "user.recovery-key", userId, recordId: userId });

  const pair = await generateUserKeyPair();
  const privateKeyEnvelope = await sealEnvelope(
    userKey.key, pair.pkcs8, { kind: "user.private-key", userId, recordId: userId });

  const record = async (kind: string, plaintext: Uint8Array<ArrayBuffer>) => {
    const recordId = newId();
    return { kind, recordId, plaintext: toHex(plaintext), envelope: toHex(await sealEnvelope(userKey.key, plaintext, { kind, userId, recordId })) };
  };
  const records = [
    await record("chat.title", utf8("Perspectives on a refactor — 日本語")),
    await record("chat.message", utf8(JSON.stringify({ role: "user", text: "Split this function?\n\"quoted\" é", provider: null, model: null }))),
    await record("chat.message", utf8(JSON.stringify({ role: "assistant", text: "Yes: extract the parser.", provider: "anthropic", model: "claude-sonnet-4-5" }))),
    await record("credential.secret", utf8(JSON.stringify({ label: "work key", type: "api_key", secret: "sk-ant-web-vector", baseUrl: "https://127.0.0.1:8443" }))),
    await record("chat.title", new Uint8Array(0)),
  ];

  // A job sealed to this user's own public key: the C# side must reach it through password -> kek -> userKey ->
  // PKCS#8, so the whole chain made in the browser is exercised at once.
  const toSelf = utf8(JSON.stringify({ note: "sealed by the web client to its own user key pair" }));
  const sealedToSelf = await seal(pair.keyPair.publicKey, toSelf, "credential");

  return {
    name,
    password,
    userId,
    kdf: { algorithm: kdf.algorithm, iterations: kdf.iterations, salt: toHex(kdf.salt) },
    authKey: toHex(authKey),
    userKeyEnvelope: toHex(userKeyEnvelope),
    recoveryCode: formatRecoveryCode(code),
    recoveryAuthKey: toHex(await deriveRecoveryAuthKey(code)),
    recoveryKeyEnvelope: toHex(recoveryKeyEnvelope),
    publicKey: toHex(pair.keyPair.publicKey),
    privateKeyEnvelope: toHex(privateKeyEnvelope),
    records,
    sealedToSelf: { purpose: "credential", plaintext: toHex(toSelf), sealedBox: toHex(sealedToSelf) },
  };
}

// Boxes to the C# vectors' recipient, whose private scalar is known to both sides.
async function sealedBoxes() {
  const recipient = loadVectors<PolydevVectors>("polydev-crypto.json").sealedBoxes[0]!;
  const publicKey = fromHex(recipient.recipientPublicKey);
  const boxes = [];
  for (const [purpose, plaintext] of [
    ["job", utf8(JSON.stringify({ prompt: "hello from the browser", outputKey: toHex(randomBytes(32)) }))],
    ["credential", utf8("")],
    ["job", randomBytes(4096)],
  ] as const) {
    boxes.push({
      purpose,
      recipientPrivateKey: recipient.recipientPrivateKey,
      recipientPublicKey: recipient.recipientPublicKey,
      plaintext: toHex(plaintext),
      sealedBox: toHex(await seal(publicKey, plaintext, purpose)),
    });
  }
  return boxes;
}

// Credential captures as the agent makes them (the page only opens them; sealCapture is its test double), to the C#
// vectors' recipient, so CredentialCapture.Open checks the tag and opens the box the TypeScript made.
async function credentialCaptures() {
  const recipient = loadVectors<PolydevVectors>("polydev-crypto.json").sealedBoxes[0]!;
  const captures = [];
  for (const plaintext of [
    utf8(JSON.stringify({ version: 1, provider: "openai", file: JSON.stringify({ tokens: { refresh_token: "web-vector" } }), account: "bob@example.com", refreshable: true })),
    new Uint8Array(0),
  ]) {
    const proofKey = randomBytes(32);
    captures.push({
      recipientPrivateKey: recipient.recipientPrivateKey,
      recipientPublicKey: recipient.recipientPublicKey,
      proofKey: toHex(proofKey),
      plaintext: toHex(plaintext),
      capture: toHex(await sealCapture(fromHex(recipient.recipientPublicKey), proofKey, plaintext)),
    });
  }
  return captures;
}

async function outputStream() {
  const keyBytes = randomBytes(32);
  const key = await importAesGcmKey(keyBytes);
  const plaintexts = [utf8('{"type":"accepted"}'), utf8('{"type":"text","text":"Hi — 你好"}'), new Uint8Array(0), utf8('{"type":"exit","code":0}')];
  const frames: Uint8Array[] = [];
  for (const [index, plaintext] of plaintexts.entries()) {
    const frame = await sealOutputChunk(key, BigInt(index), index === plaintexts.length - 1, plaintext);
    frames.push(concat(i2osp(frame.length, 4), frame));
  }
  return { key: toHex(keyBytes), plaintexts: plaintexts.map(toHex), stream: toHex(concat(...frames)) };
}

const file = {
  description:
    "Polydev cryptography vectors generated by the web client (web/src/crypto, TypeScript on Web Crypto) for the C# " +
    "library to open. Random on each generation (npm run vectors in web/); every field is described in docs/crypto.md.",
  encoding: "Byte strings are lower-case hex. Ids are lower-case hyphenated UUIDs. Passwords and codes are JSON text.",
  accounts: [
    await account("ASCII password", "correct horse battery staple"),
    // Typed decomposed (e + COMBINING ACUTE, conjoining Hangul jamo): the C# side derives from the NFC form.
    await account("Non-ASCII password typed decomposed", "caf\u0065\u0301 \u1112\u1161\u11AB pass"),
  ],
  sealedBoxes: await sealedBoxes(),
  credentialCaptures: await credentialCaptures(),
  outputStream: await outputStream(),
};

writeFileSync(target, JSON.stringify(file, null, 2) + "\n");
console.log(`wrote ${target.pathname}`);
