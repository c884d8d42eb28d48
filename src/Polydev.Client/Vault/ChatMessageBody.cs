using System.Text.Json;
using Polydev.Contracts;
using Polydev.Crypto;

namespace Polydev.Client.Vault;

/// <summary>
/// A chat message's plaintext: UTF-8 JSON <c>{"role":"user"|"assistant","text":"…","provider":null|"anthropic"|…,"model":null|"…"}</c>,
/// kind <c>chat.message</c>, record id = message id (docs/vault.md). Provider and model may be missing; unknown fields are ignored.
/// </summary>
internal sealed record ChatMessageBody(string Role, string Text, string? Provider = null, string? Model = null)
{
    public const string User = "user";
    public const string Assistant = "assistant";

    public EncryptedValue Seal(VaultCipher cipher, Guid messageId) =>
        cipher.Seal(EnvelopeKinds.ChatMessage, messageId, JsonSerializer.SerializeToUtf8Bytes(this, PolydevJson.Options));

    public static ChatMessageBody Open(VaultCipher cipher, Guid messageId, EncryptedValue value) =>
        VaultJson.Read<ChatMessageBody>(cipher.Open(EnvelopeKinds.ChatMessage, messageId, value), "chat message", messageId);
}
