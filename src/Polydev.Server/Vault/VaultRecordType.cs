using Polydev.Contracts;
using Polydev.Crypto;

namespace Polydev.Server.Vault;

/// <summary>
/// What sets one vault record type apart in the API: its metric label, its envelope (field, kind, size limit), and
/// what "not found" says — for a record, and for its parent when a message is listed or added to a missing chat.
/// </summary>
internal sealed record VaultRecordType(string Label, string Field, string EnvelopeKind, Func<VaultOptions, int> MaxBytes, string NotFound, string? ParentNotFound = null)
{
    private const string NoChat = "No chat with this id in your vault.";

    public static readonly VaultRecordType Chat = new("chat", "title", EnvelopeKinds.ChatTitle, o => o.MaxChatTitleBytes, NoChat);

    public static readonly VaultRecordType Message = new("message", "body", EnvelopeKinds.ChatMessage, o => o.MaxMessageBytes, "No message with this id in this chat.", NoChat);

    public static readonly VaultRecordType Credential = new("credential", "secret", EnvelopeKinds.CredentialSecret, o => o.MaxCredentialBytes, "No credential with this id in your vault.");

    /// <summary>Said when a list or a create finds no record to list in or add to.</summary>
    public string ContainerNotFound => ParentNotFound ?? NotFound;

    /// <summary>The envelope is this type's, bound to <paramref name="recordId"/>, within size.</summary>
    public void CheckEnvelope(EncryptedValue? value, Guid recordId, VaultOptions options, RequestErrors errors) =>
        EncryptedValueRules.Check(value, Field, EnvelopeKind, recordId, MaxBytes(options), errors);
}
