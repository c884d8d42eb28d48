namespace Polydev.Contracts.Accounts;

/// <summary>
/// Sign-up: everything the server keeps about an account, all of it made on the client.
/// The server never sees the password, the master key, kek or userKey.
/// </summary>
public sealed record SignupRequest(
    Guid UserId,
    string Email,
    KdfDto Kdf,
    byte[] AuthKey,
    EncryptedValue UserKey,
    byte[] PublicKey,
    EncryptedValue PrivateKey,
    RecoveryDto? Recovery);

/// <summary>The recovery code's proof (<c>recoveryAuthKey</c>) and the userKey wrapped by it.</summary>
public sealed record RecoveryDto(byte[] AuthKey, EncryptedValue UserKey);

public sealed record AccountCreatedResponse(Guid UserId, string Email, DateTimeOffset CreatedAt);

public sealed record PreloginRequest(string Email);

public sealed record PreloginResponse(KdfDto Kdf);

public sealed record LoginRequest(string Email, byte[] AuthKey, string? DeviceName);

/// <summary>A new session, with the wrapped key material the client needs to unlock.</summary>
public sealed record LoginResponse(
    string Token,
    Guid SessionId,
    DateTimeOffset? ExpiresAt,
    AccountKeysResponse Account);

/// <summary>An account as its owner sees it: identity plus wrapped keys.</summary>
public sealed record AccountKeysResponse(
    Guid UserId,
    string Email,
    KdfDto Kdf,
    EncryptedValue UserKey,
    byte[] PublicKey,
    EncryptedValue PrivateKey,
    bool HasRecovery,
    DateTimeOffset CreatedAt,
    bool KeyRotationRequired = false);

/// <summary>Password change: proof of the current password and the userKey re-wrapped under the new one.</summary>
public sealed record ChangePasswordRequest(byte[] CurrentAuthKey, KdfDto Kdf, byte[] AuthKey, EncryptedValue UserKey);

/// <summary>Sets or replaces the recovery code.</summary>
public sealed record SetRecoveryRequest(byte[] CurrentAuthKey, RecoveryDto Recovery);

/// <summary>Account deletion needs the password again, not just a token.</summary>
public sealed record DeleteAccountRequest(byte[] AuthKey);

public sealed record RecoveryVerifyRequest(string Email, byte[] RecoveryAuthKey);

public sealed record RecoveryVerifyResponse(Guid UserId, EncryptedValue RecoveryUserKey);

/// <summary>
/// Reset with the recovery code: a new password wrapping the same userKey. The code is spent by it, and the account's
/// keys must be rotated (<see cref="RotateKeysRequest"/>) before its vault takes writes again.
/// </summary>
public sealed record RecoveryResetRequest(string Email, byte[] RecoveryAuthKey, KdfDto Kdf, byte[] AuthKey, EncryptedValue UserKey);

/// <summary>
/// Key rotation: a new userKey and key pair, and every vault record re-sealed under the new userKey, stored in one
/// step. Each record names the revision it was read at; if the vault holds any other record or revision, nothing is
/// stored (409) and the client reads it again.
/// </summary>
/// <param name="CurrentAuthKey">Proof of the current password.</param>
/// <param name="UserKey">The new userKey, wrapped by the kek of the new password if <paramref name="NewPassword"/> is set, else of the current one.</param>
/// <param name="Recovery">A new recovery code for the new userKey; without it the account has none (the old code opens only the old key).</param>
/// <param name="NewPassword">A new password, changed in the same step.</param>
public sealed record RotateKeysRequest(
    byte[] CurrentAuthKey,
    EncryptedValue UserKey,
    byte[] PublicKey,
    EncryptedValue PrivateKey,
    RecoveryDto? Recovery,
    IReadOnlyList<ResealedRecord> Chats,
    IReadOnlyList<ResealedRecord> Messages,
    IReadOnlyList<ResealedRecord> Credentials,
    NewPasswordDto? NewPassword = null);

/// <summary>A vault record's envelope sealed under the new userKey, and the revision the old one was read at.</summary>
public sealed record ResealedRecord(Guid Id, long Revision, EncryptedValue Value);

/// <summary>A new password's KDF parameters and authKey.</summary>
public sealed record NewPasswordDto(KdfDto Kdf, byte[] AuthKey);

public sealed record SessionResponse(
    Guid Id,
    string Kind,
    string? Name,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUsedAt,
    DateTimeOffset? ExpiresAt,
    bool Current);

public sealed record CreateApiTokenRequest(string Name, int? ExpiresInDays);

/// <summary>A new API token; <see cref="Token"/> is shown once and never again.</summary>
public sealed record ApiTokenCreatedResponse(Guid Id, string Name, string Token, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

public static class TokenKinds
{
    public const string Session = "session";
    public const string Api = "api";
}
