using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;

namespace Polydev.Server.Vault;

/// <summary>Maps vault rows to what the API returns: envelopes with the context they are bound to.</summary>
public static class VaultViews
{
    public static ChatResponse ToResponse(ChatRecord chat) => new(
        Guid.Parse(chat.Id),
        EncryptedValueRules.ToValue(EnvelopeKinds.ChatTitle, chat.Id, chat.Title),
        chat.Revision,
        chat.MessageCount,
        UnixTime.ToDateTimeOffset(chat.LastMessageAt),
        UnixTime.ToDateTimeOffset(chat.CreatedAt),
        UnixTime.ToDateTimeOffset(chat.UpdatedAt));

    public static MessageResponse ToResponse(MessageRecord message) => new(
        Guid.Parse(message.Id),
        Guid.Parse(message.ChatId),
        EncryptedValueRules.ToValue(EnvelopeKinds.ChatMessage, message.Id, message.Body),
        message.Revision,
        UnixTime.ToDateTimeOffset(message.CreatedAt),
        UnixTime.ToDateTimeOffset(message.UpdatedAt));

    public static MessageCreatedResponse ToCreatedResponse(MessageRecord message) => new(
        Guid.Parse(message.Id),
        Guid.Parse(message.ChatId),
        message.Revision,
        UnixTime.ToDateTimeOffset(message.CreatedAt),
        UnixTime.ToDateTimeOffset(message.UpdatedAt));

    public static CredentialResponse ToResponse(CredentialRecord credential) => new(
        Guid.Parse(credential.Id),
        credential.Provider,
        EncryptedValueRules.ToValue(EnvelopeKinds.CredentialSecret, credential.Id, credential.Secret),
        credential.Revision,
        UnixTime.ToDateTimeOffset(credential.CreatedAt),
        UnixTime.ToDateTimeOffset(credential.UpdatedAt));
}
