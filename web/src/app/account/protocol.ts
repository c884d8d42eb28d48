// The account protocol of docs/crypto.md, step for step as src/Polydev.Client does it (SignupVerb, LoginVerbs,
// PasswordVerb, AccountVerbs, Keys/KeyWrapping): everything is derived here; the server gets only authKeys, wrapped
// keys and the public key. No DOM and no fetch, so it runs under node --test too.
import {
  deriveAuthKey, deriveKek, deriveMasterKey, deriveRecoveryAuthKey, deriveRecoveryWrappingKey, ensureAcceptable,
  EnvelopeError, formatRecoveryCode, fromBase64, generateRecoveryCode, generateUserKey, generateUserKeyPair,
  importAesGcmKey, importPkcs8, kdfAlgorithm, minimumIterations, openEnvelope, parseRecoveryCode, randomBytes,
  RecoveryCodeError, sealEnvelope, toBase64, WeakKdfParametersError, type KdfParameters,
} from "../../crypto/index.ts";
import { UserFacingError } from "../api/errors.ts";
import type * as T from "../api/types.ts";
import { newId } from "../vault/ids.ts";
import type { Keys } from "./keys.ts";

export const wrongPassword = "Wrong password.";

/** The two keys a password yields: authKey (sent to the server) and kek (never leaves this page). */
export interface PasswordKeys {
  readonly kdf: T.KdfDto;
  readonly authKey: T.Base64;
  readonly kek: CryptoKey;
}

/** KDF parameters for a new account or a new password: PBKDF2-SHA256, 600000 iterations, 16 fresh salt bytes. */
export function newKdf(): T.KdfDto {
  return { algorithm: kdfAlgorithm, iterations: minimumIterations, salt: toBase64(randomBytes(16)) };
}

function toParameters(kdf: T.KdfDto): KdfParameters {
  return { algorithm: kdf.algorithm, iterations: kdf.iterations, salt: fromBase64(kdf.salt) };
}

/**
 * Checks the server's parameters against the downgrade rule, then runs PBKDF2 and the two HKDFs. A server that
 * asks for weak parameters may be trying to make the authKey it receives cheap to brute-force, so this refuses.
 */
export async function derivePasswordKeys(password: string, kdf: T.KdfDto): Promise<PasswordKeys> {
  if (password.length === 0) throw new UserFacingError("Enter your password.");
  let parameters: KdfParameters;
  try {
    parameters = toParameters(kdf);
    ensureAcceptable(parameters);
  } catch (error) {
    const reason = error instanceof WeakKdfParametersError ? ` ${error.message}` : "";
    throw new UserFacingError(
      `This page refused the server's key-derivation settings, to protect your password.${reason} The server may be misconfigured or compromised.`);
  }
  let masterKey: CryptoKey;
  try {
    masterKey = await deriveMasterKey(password, parameters);
  } catch {
    // The only input error left is a password with an unpaired surrogate, which no keyboard produces.
    throw new UserFacingError("This password contains a character that cannot be used. Type it again.");
  }
  const [authKey, kek] = await Promise.all([deriveAuthKey(masterKey), deriveKek(masterKey)]);
  try {
    return { kdf, authKey: toBase64(authKey), kek };
  } finally {
    authKey.fill(0);
  }
}

const context = (kind: string, userId: string) => ({ kind, userId, recordId: userId });

async function wrap(key: CryptoKey, plaintext: Uint8Array<ArrayBuffer>, kind: string, userId: string): Promise<T.EncryptedValue> {
  const envelope = await sealEnvelope(key, plaintext, context(kind, userId));
  return { kind, recordId: userId, envelope: toBase64(envelope) };
}

/** userKey's 32 bytes from the account's user.key envelope. A failure means the password (kek) is wrong. */
async function openUserKeyBytes(account: T.AccountKeysResponse, kek: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await openEnvelope(kek, fromBase64(account.userKey.envelope), context("user.key", account.userId));
  } catch (error) {
    if (error instanceof EnvelopeError) throw new UserFacingError(wrongPassword);
    throw error;
  }
}

/** Imports userKey as a non-extractable key and opens the private key with it; zeroes `userKeyBytes`. */
async function keysFromUserKey(account: T.AccountKeysResponse, userKeyBytes: Uint8Array<ArrayBuffer>): Promise<Keys> {
  let userKey: CryptoKey;
  try {
    userKey = await importAesGcmKey(userKeyBytes);
  } finally {
    userKeyBytes.fill(0);
  }
  let pkcs8: Uint8Array<ArrayBuffer>;
  try {
    pkcs8 = await openEnvelope(userKey, fromBase64(account.privateKey.envelope), context("user.private-key", account.userId));
  } catch {
    throw new UserFacingError("Your private key does not open with your user key: the server sent a damaged or foreign key.");
  }
  try {
    const pair = await importPkcs8(pkcs8);
    // The stored public key is what login sandboxes seal to; it must belong to this private key.
    if (toBase64(pair.publicKey) !== account.publicKey) {
      throw new UserFacingError("Your account's public key does not match your private key: the server sent a foreign key.");
    }
    return { userId: account.userId, userKey, privateKey: pair.privateKey, publicKey: pair.publicKey };
  } finally {
    pkcs8.fill(0);
  }
}

/** Unlock with keys already derived (sign-in: prelogin, derive, login, then this with the login's account). */
export async function openKeys(account: T.AccountKeysResponse, kek: CryptoKey): Promise<Keys> {
  return keysFromUserKey(account, await openUserKeyBytes(account, kek));
}

/** Unlock: the account's wrapped keys (GET /api/account) and the password; no new sign-in. */
export async function unlock(account: T.AccountKeysResponse, password: string): Promise<Keys> {
  return (await unlockWithPassword(account, password)).keys;
}

/** Unlock, keeping the password keys for what must follow it (the key rotation a reset left, say). */
export async function unlockWithPassword(account: T.AccountKeysResponse, password: string): Promise<{ keys: Keys; passwordKeys: PasswordKeys }> {
  const passwordKeys = await derivePasswordKeys(password, account.kdf);
  return { keys: await openKeys(account, passwordKeys.kek), passwordKeys };
}

/** A new recovery code (display form, shown once) and what the server keeps of it. */
export interface NewRecovery {
  readonly code: string;
  readonly dto: T.RecoveryDto;
}

async function makeRecovery(userId: string, userKeyBytes: Uint8Array<ArrayBuffer>): Promise<NewRecovery> {
  const code = generateRecoveryCode();
  try {
    const [wrappingKey, authKey] = await Promise.all([deriveRecoveryWrappingKey(code), deriveRecoveryAuthKey(code)]);
    const userKey = await wrap(wrappingKey, userKeyBytes, "user.recovery-key", userId);
    return { code: formatRecoveryCode(code), dto: { authKey: toBase64(authKey), userKey } };
  } finally {
    code.fill(0);
  }
}

export interface NewAccount {
  readonly request: T.SignupRequest;
  /** The recovery code's display form: shown once, never stored or logged. */
  readonly recoveryCode: string;
  /** authKey, to sign in right after sign-up without a second PBKDF2 run. */
  readonly authKey: T.Base64;
  readonly keys: Keys;
}

/**
 * Sign-up: every key made here; the request carries only the authKey, wrapped keys and the public key.
 * `kdf` is what pre-login answered for this e-mail before the account existed: using it makes pre-login answer the
 * same after sign-up as before (issue 13, finding 15f), so pre-login cannot tell who has an account. Checked by the
 * downgrade rule like any server-given parameters; without it, fresh ones.
 */
export async function createAccount(email: string, password: string, kdf: T.KdfDto = newKdf()): Promise<NewAccount> {
  const userId = newId();
  const passwordKeys = await derivePasswordKeys(password, kdf);
  const made = await newKeySet(userId, passwordKeys.kek);
  return {
    request: {
      userId, email, kdf: passwordKeys.kdf, authKey: passwordKeys.authKey, userKey: made.userKey,
      publicKey: made.publicKey, privateKey: made.privateKey, recovery: made.recovery.dto,
    },
    recoveryCode: made.recovery.code,
    authKey: passwordKeys.authKey,
    keys: made.keys,
  };
}

/** A user's whole key set, as sign-up and key rotation make it: what the server stores, the keys, the recovery code. */
export interface NewKeySet {
  /** userKey wrapped by the kek given. */
  readonly userKey: T.EncryptedValue;
  readonly publicKey: T.Base64;
  /** The PKCS#8 private key wrapped by userKey. */
  readonly privateKey: T.EncryptedValue;
  readonly recovery: NewRecovery;
  readonly keys: Keys;
}

/** A fresh userKey, P-256 key pair and recovery code; userKey wrapped by `kek`. */
export async function newKeySet(userId: string, kek: CryptoKey): Promise<NewKeySet> {
  const userKey = await generateUserKey();
  const { keyPair, pkcs8 } = await generateUserKeyPair();
  try {
    const [wrappedUserKey, wrappedPrivateKey, recovery] = await Promise.all([
      wrap(kek, userKey.bytes, "user.key", userId),
      wrap(userKey.key, pkcs8, "user.private-key", userId),
      makeRecovery(userId, userKey.bytes),
    ]);
    return {
      userKey: wrappedUserKey, publicKey: toBase64(keyPair.publicKey), privateKey: wrappedPrivateKey, recovery,
      keys: { userId, userKey: userKey.key, privateKey: keyPair.privateKey, publicKey: keyPair.publicKey },
    };
  } finally {
    userKey.bytes.fill(0);
    pkcs8.fill(0);
  }
}

/**
 * What a key rotation needs from passwords: proof of the current one, and the kek that wraps the new userKey — the
 * current password's, or with `newPassword` the new one's (a password change and a rotation in one step).
 */
export interface RotationProof {
  readonly currentAuthKey: T.Base64;
  readonly kek: CryptoKey;
  readonly newPassword: T.NewPasswordDto | null;
}

/** The current password is checked here first (it must open user.key), so a typo never reaches the server. */
export async function rotationProof(account: T.AccountKeysResponse, currentPassword: string, newPassword?: string): Promise<RotationProof> {
  const current = await derivePasswordKeys(currentPassword, account.kdf);
  try {
    (await openUserKeyBytes(account, current.kek)).fill(0);
  } catch (error) {
    if (error instanceof UserFacingError && error.message === wrongPassword) throw new UserFacingError("The current password is wrong.");
    throw error;
  }
  if (newPassword === undefined) return { currentAuthKey: current.authKey, kek: current.kek, newPassword: null };
  const next = await derivePasswordKeys(newPassword, newKdf());
  return { currentAuthKey: current.authKey, kek: next.kek, newPassword: { kdf: next.kdf, authKey: next.authKey } };
}

/** Checks the current password locally (it must open user.key) and hands out its authKey and userKey's bytes. */
async function proveCurrentPassword(account: T.AccountKeysResponse, currentPassword: string) {
  const current = await derivePasswordKeys(currentPassword, account.kdf);
  let userKeyBytes: Uint8Array<ArrayBuffer>;
  try {
    userKeyBytes = await openUserKeyBytes(account, current.kek);
  } catch (error) {
    if (error instanceof UserFacingError && error.message === wrongPassword) throw new UserFacingError("The current password is wrong.");
    throw error;
  }
  return { currentAuthKey: current.authKey, userKeyBytes };
}

/** Password change: a new salt and KDF run, the same userKey re-wrapped under the new kek. No data is re-encrypted. */
export async function changePassword(account: T.AccountKeysResponse, currentPassword: string, newPassword: string): Promise<T.ChangePasswordRequest> {
  const { currentAuthKey, userKeyBytes } = await proveCurrentPassword(account, currentPassword);
  try {
    const next = await derivePasswordKeys(newPassword, newKdf());
    return { currentAuthKey, kdf: next.kdf, authKey: next.authKey, userKey: await wrap(next.kek, userKeyBytes, "user.key", account.userId) };
  } finally {
    userKeyBytes.fill(0);
  }
}

/** A new recovery code replacing the old one (the old one stops working once the server stores this). */
export async function replaceRecoveryCode(account: T.AccountKeysResponse, currentPassword: string): Promise<{ request: T.SetRecoveryRequest; recoveryCode: string }> {
  const { currentAuthKey, userKeyBytes } = await proveCurrentPassword(account, currentPassword);
  try {
    const recovery = await makeRecovery(account.userId, userKeyBytes);
    return { request: { currentAuthKey, recovery: recovery.dto }, recoveryCode: recovery.code };
  } finally {
    userKeyBytes.fill(0);
  }
}

/** Account deletion needs the password again; it is checked here first so a typo never reaches the server. */
export async function deleteAccountRequest(account: T.AccountKeysResponse, password: string): Promise<T.DeleteAccountRequest> {
  const { currentAuthKey, userKeyBytes } = await proveCurrentPassword(account, password);
  userKeyBytes.fill(0);
  return { authKey: currentAuthKey };
}

/** The recovery code's proof for POST /api/auth/recovery/verify, and the key that opens user.recovery-key. */
export async function recoveryProof(codeText: string): Promise<{ recoveryAuthKey: T.Base64; wrappingKey: CryptoKey }> {
  let code: Uint8Array<ArrayBuffer>;
  try {
    code = parseRecoveryCode(codeText);
  } catch (error) {
    throw new UserFacingError(error instanceof RecoveryCodeError ? error.message : "This is not a recovery code.");
  }
  try {
    const [authKey, wrappingKey] = await Promise.all([deriveRecoveryAuthKey(code), deriveRecoveryWrappingKey(code)]);
    return { recoveryAuthKey: toBase64(authKey), wrappingKey };
  } finally {
    code.fill(0);
  }
}

/**
 * Recovery: opens userKey with the recovery code and wraps it under a new password (POST /api/auth/recovery/reset).
 * The code is spent by it and the keys must be rotated next (account/rotation.ts), which makes the new recovery code.
 */
export async function resetWithRecovery(
  email: string, verified: T.RecoveryVerifyResponse, proof: { recoveryAuthKey: T.Base64; wrappingKey: CryptoKey }, newPassword: string,
): Promise<{ request: T.RecoveryResetRequest; passwordKeys: PasswordKeys }> {
  let userKeyBytes: Uint8Array<ArrayBuffer>;
  try {
    userKeyBytes = await openEnvelope(proof.wrappingKey, fromBase64(verified.recoveryUserKey.envelope), context("user.recovery-key", verified.userId));
  } catch {
    throw new UserFacingError("The recovery code does not open your key, although the server accepted it. Nothing was changed.");
  }
  try {
    const next = await derivePasswordKeys(newPassword, newKdf());
    const userKey = await wrap(next.kek, userKeyBytes, "user.key", verified.userId);
    return { request: { email, recoveryAuthKey: proof.recoveryAuthKey, kdf: next.kdf, authKey: next.authKey, userKey }, passwordKeys: next };
  } finally {
    userKeyBytes.fill(0);
  }
}
