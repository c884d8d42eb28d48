// The API's JSON shapes, mirroring src/Polydev.Contracts (camelCase; byte strings are standard padded base64;
// times are ISO 8601 strings; ids are lower-case hyphenated UUIDs).

export type Base64 = string;
export type Uuid = string;
export type IsoTime = string;

export const providers = ["anthropic", "openai", "google"] as const;
export type Provider = (typeof providers)[number];

/** Display names, for headings and buttons. */
export const providerNames: Readonly<Record<Provider, string>> = {
  anthropic: "Anthropic (Claude Code)",
  openai: "OpenAI (Codex CLI)",
  google: "Google (Gemini CLI)",
};

/** One client-side encrypted value: the envelope plus the context its associated data binds it to. */
export interface EncryptedValue {
  readonly kind: string;
  readonly recordId: Uuid;
  readonly envelope: Base64;
}

export interface KdfDto {
  readonly algorithm: string;
  readonly iterations: number;
  readonly salt: Base64;
}

/** One page of a list; nextCursor is null on the last page. */
export interface PageOf<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

// Accounts

export interface RecoveryDto {
  readonly authKey: Base64;
  readonly userKey: EncryptedValue;
}

export interface SignupRequest {
  readonly userId: Uuid;
  readonly email: string;
  readonly kdf: KdfDto;
  readonly authKey: Base64;
  readonly userKey: EncryptedValue;
  readonly publicKey: Base64;
  readonly privateKey: EncryptedValue;
  readonly recovery: RecoveryDto | null;
}

export interface AccountCreatedResponse {
  readonly userId: Uuid;
  readonly email: string;
  readonly createdAt: IsoTime;
}

export interface PreloginResponse {
  readonly kdf: KdfDto;
}

export interface LoginRequest {
  readonly email: string;
  readonly authKey: Base64;
  readonly deviceName: string | null;
}

/** An account as its owner sees it: identity plus wrapped keys. */
export interface AccountKeysResponse {
  readonly userId: Uuid;
  readonly email: string;
  readonly kdf: KdfDto;
  readonly userKey: EncryptedValue;
  readonly publicKey: Base64;
  readonly privateKey: EncryptedValue;
  readonly hasRecovery: boolean;
  readonly createdAt: IsoTime;
  /** Set by a reset with the recovery code: the keys must be rotated before the vault takes writes again. */
  readonly keyRotationRequired?: boolean;
}

export interface LoginResponse {
  readonly token: string;
  readonly sessionId: Uuid;
  readonly expiresAt: IsoTime | null;
  readonly account: AccountKeysResponse;
}

export interface ChangePasswordRequest {
  readonly currentAuthKey: Base64;
  readonly kdf: KdfDto;
  readonly authKey: Base64;
  readonly userKey: EncryptedValue;
}

/** PUT /api/account/keys: a new userKey, key pair and recovery code, and every vault record re-sealed under the new userKey. */
export interface RotateKeysRequest {
  readonly currentAuthKey: Base64;
  readonly userKey: EncryptedValue;
  readonly publicKey: Base64;
  readonly privateKey: EncryptedValue;
  readonly recovery: RecoveryDto | null;
  readonly chats: readonly ResealedRecord[];
  readonly messages: readonly ResealedRecord[];
  readonly credentials: readonly ResealedRecord[];
  readonly newPassword: NewPasswordDto | null;
}

/** A record's envelope sealed under the new userKey, and the revision the old one was read at. */
export interface ResealedRecord {
  readonly id: Uuid;
  readonly revision: number;
  readonly value: EncryptedValue;
}

export interface NewPasswordDto {
  readonly kdf: KdfDto;
  readonly authKey: Base64;
}

export interface SetRecoveryRequest {
  readonly currentAuthKey: Base64;
  readonly recovery: RecoveryDto;
}

export interface DeleteAccountRequest {
  readonly authKey: Base64;
}

export interface RecoveryVerifyRequest {
  readonly email: string;
  readonly recoveryAuthKey: Base64;
}

export interface RecoveryVerifyResponse {
  readonly userId: Uuid;
  readonly recoveryUserKey: EncryptedValue;
}

export interface RecoveryResetRequest {
  readonly email: string;
  readonly recoveryAuthKey: Base64;
  readonly kdf: KdfDto;
  readonly authKey: Base64;
  readonly userKey: EncryptedValue;
}

export interface SessionResponse {
  readonly id: Uuid;
  readonly kind: "session" | "api";
  readonly name: string | null;
  readonly createdAt: IsoTime;
  readonly lastUsedAt: IsoTime;
  readonly expiresAt: IsoTime | null;
  readonly current: boolean;
}

// Vault

export interface CreateChatRequest {
  readonly id: Uuid;
  readonly title: EncryptedValue;
}

export interface UpdateChatRequest {
  readonly title: EncryptedValue;
  readonly revision: number;
}

export interface ChatResponse {
  readonly id: Uuid;
  readonly title: EncryptedValue;
  readonly revision: number;
  readonly messageCount: number;
  readonly lastMessageAt: IsoTime | null;
  readonly createdAt: IsoTime;
  readonly updatedAt: IsoTime;
}

export interface CreateMessageRequest {
  readonly id: Uuid;
  readonly body: EncryptedValue;
}

export interface UpdateMessageRequest {
  readonly body: EncryptedValue;
  readonly revision: number;
}

export interface MessageResponse {
  readonly id: Uuid;
  readonly chatId: Uuid;
  readonly body: EncryptedValue;
  readonly revision: number;
  readonly createdAt: IsoTime;
  readonly updatedAt: IsoTime;
}

/** What appending a message answers: where it stands, without the body just sent (up to 1 MiB of ciphertext). */
export interface MessageCreatedResponse {
  readonly id: Uuid;
  readonly chatId: Uuid;
  readonly revision: number;
  readonly createdAt: IsoTime;
  readonly updatedAt: IsoTime;
}

export interface CreateCredentialRequest {
  readonly id: Uuid;
  readonly provider: Provider;
  readonly secret: EncryptedValue;
}

export interface UpdateCredentialRequest {
  readonly secret: EncryptedValue;
  readonly revision: number;
}

export interface CredentialResponse {
  readonly id: Uuid;
  readonly provider: string;
  readonly secret: EncryptedValue;
  readonly revision: number;
  readonly createdAt: IsoTime;
  readonly updatedAt: IsoTime;
}

// Executions (docs/executions.md)

export type ExecutionState = "allocated" | "running" | "succeeded" | "failed" | "cancelled";

export interface CreateExecutionRequest {
  readonly provider: Provider;
}

export interface ExecutionLimitsResponse {
  readonly maxRunSeconds: number;
  readonly maxOutputBytes: number;
}

export interface ExecutionCreatedResponse {
  readonly id: Uuid;
  readonly provider: string;
  readonly sandboxPublicKey: Base64;
  readonly proxyUrl: string;
  readonly warm: boolean;
  readonly startBy: IsoTime;
  readonly limits: ExecutionLimitsResponse;
}

export interface StartExecutionRequest {
  readonly sealedJob: Base64;
}

export interface ExecutionResponse {
  readonly id: Uuid;
  readonly provider: string;
  readonly state: ExecutionState;
  readonly reason: string | null;
  readonly warm: boolean;
  readonly exitCode: number | null;
  readonly outputBytes: number;
  readonly chunks: number;
  readonly createdAt: IsoTime;
  readonly startedAt: IsoTime | null;
  readonly finishedAt: IsoTime | null;
}

/** GET /api/runtimes: the providers this server runs and how many sandboxes wait warm for each. */
export interface RuntimesResponse {
  readonly sandboxes: boolean;
  readonly runtimes: readonly RuntimeResponse[];
  readonly limits: { readonly maxRunSeconds: number; readonly maxOutputBytes: number };
}

export interface RuntimeResponse {
  readonly kind: string;
  readonly provider: string;
  readonly enabled: boolean;
  readonly ready: number;
  readonly warmTarget: number;
  readonly imageVersion: string | null;
}
