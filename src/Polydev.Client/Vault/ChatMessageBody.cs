using System.Text.Json;
using Polydev.Contracts;
using Polydev.Crypto;

namespace Polydev.Client.Vault;

/// <summary>
/// A chat message's plaintext: UTF-8 JSON <c>{"role":"user"|"assistant","text":"…","provider":null|"anthropic"|…,"model":null|"…"}</c>,
/// kind <c>chat.message</c>, record id = message id (docs/vault.md). Provider and model may be missing; unknown fields are ignored.
/// A run that failed is stored as an assistant message with <see cref="Failure"/> set (its text only what arrived
/// before it failed): a failure, never an answer, and never part of a conversation's history.
/// </summary>
internal sealed record ChatMessageBody(
    string Role,
    string Text,
    string? Provider = null,
    string? Model = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] ChatFailure? Failure = null)
{
    public const string User = "user";
    public const string Assistant = "assistant";

    /// <summary>Seals the message bound to its chat (issue 13): the server cannot move it to another chat.</summary>
    public EncryptedValue Seal(VaultCipher cipher, Guid chatId, Guid messageId) =>
        cipher.Seal(EnvelopeKinds.ChatMessage, messageId, JsonSerializer.SerializeToUtf8Bytes(this, PolydevJson.Options), chatId.ToString("D"));

    /// <summary>
    /// Opens a message of <paramref name="chatId"/>. One sealed before messages were bound to their chat opens too,
    /// with <see cref="Opened.Legacy"/> set so the caller can re-seal it; one bound to another chat does not open.
    /// </summary>
    public static Opened Open(VaultCipher cipher, Guid chatId, Guid messageId, EncryptedValue value)
    {
        var (plaintext, legacy) = cipher.OpenBound(EnvelopeKinds.ChatMessage, messageId, value, chatId.ToString("D"));
        return new Opened(VaultJson.Read<ChatMessageBody>(plaintext, "chat message", messageId), legacy);
    }

    /// <param name="Legacy">Sealed without its chat (before issue 13): readable, but the server could have moved it.</param>
    public sealed record Opened(ChatMessageBody Body, bool Legacy);
}

/// <summary>Why a run stored in a chat failed: the agent's kind and status, and the sentence the user was shown.</summary>
internal sealed record ChatFailure(string Kind, int? Status, string Message);
