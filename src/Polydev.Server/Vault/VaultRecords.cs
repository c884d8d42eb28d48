namespace Polydev.Server.Vault;

/// <summary>What every vault row has: its id (chosen by the client), its owner, a revision for optimistic concurrency, and times.</summary>
public abstract class VaultRecord
{
    public string Id { get; set; } = "";
    public string UserId { get; set; } = "";
    public long Revision { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>A row of <c>chats</c>; <see cref="Title"/> is an envelope.</summary>
public sealed class ChatRecord : VaultRecord
{
    public byte[] Title { get; set; } = [];
    public long MessageCount { get; set; }
    public long? LastMessageAt { get; set; }
}

/// <summary>A row of <c>chat_messages</c>; <see cref="Body"/> is an envelope.</summary>
public sealed class MessageRecord : VaultRecord
{
    public string ChatId { get; set; } = "";
    public byte[] Body { get; set; } = [];
}

/// <summary>A row of <c>provider_credentials</c>; <see cref="Secret"/> is an envelope.</summary>
public sealed class CredentialRecord : VaultRecord
{
    public string Provider { get; set; } = "";
    public byte[] Secret { get; set; } = [];
}
