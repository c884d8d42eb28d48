namespace Polydev.Crypto;

/// <summary>
/// The kinds of record an envelope can belong to. The kind is part of every envelope's associated data, so a
/// ciphertext sealed as one kind cannot be opened as another; each kind also fixes what the record id means.
/// </summary>
public static class EnvelopeKinds
{
    /// <summary>The user key wrapped by the password-derived KEK. Record id: the user id.</summary>
    public const string UserKey = "user.key";

    /// <summary>The user key wrapped by the recovery code's wrapping key. Record id: the user id.</summary>
    public const string UserRecoveryKey = "user.recovery-key";

    /// <summary>The PKCS#8 encoding of the user's P-256 private key, wrapped by the user key. Record id: the user id.</summary>
    public const string UserPrivateKey = "user.private-key";

    /// <summary>A chat's title, under the user key. Record id: the chat id.</summary>
    public const string ChatTitle = "chat.title";

    /// <summary>A chat message, under the user key. Record id: the message id.</summary>
    public const string ChatMessage = "chat.message";

    /// <summary>A provider credential (CLI credential file or API key), under the user key. Record id: the credential id.</summary>
    public const string CredentialSecret = "credential.secret";

    /// <summary>Every known kind, in the order the documentation lists them.</summary>
    internal static IReadOnlyList<string> All { get; } =
        [UserKey, UserRecoveryKey, UserPrivateKey, ChatTitle, ChatMessage, CredentialSecret];

    /// <summary>Whether <paramref name="kind"/> is one of the kinds defined here (ordinal, case-sensitive).</summary>
    /// <param name="kind">The kind to check; <see langword="null"/> is not known.</param>
    public static bool IsKnown(string kind) => kind switch
    {
        UserKey or UserRecoveryKey or UserPrivateKey or ChatTitle or ChatMessage or CredentialSecret => true,
        _ => false,
    };
}
