namespace Polydev.Server.Vault;

/// <summary>A row of <c>chats</c>; <see cref="Title"/> is an envelope.</summary>
public sealed class ChatRecord
{
    public string Id { get; set; } = "";
    public string UserId { get; set; } = "";
    public byte[] Title { get; set; } = [];
    public long Revision { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public long MessageCount { get; set; }
    public long? LastMessageAt { get; set; }
}

/// <summary>A row of <c>chat_messages</c>; <see cref="Body"/> is an envelope.</summary>
public sealed class MessageRecord
{
    public string Id { get; set; } = "";
    public string ChatId { get; set; } = "";
    public string UserId { get; set; } = "";
    public byte[] Body { get; set; } = [];
    public long Revision { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>A row of <c>provider_credentials</c>; <see cref="Secret"/> is an envelope.</summary>
public sealed class CredentialRecord
{
    public string Id { get; set; } = "";
    public string UserId { get; set; } = "";
    public string Provider { get; set; } = "";
    public byte[] Secret { get; set; } = [];
    public long Revision { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>How a vault write ended; each maps to one HTTP answer.</summary>
public enum WriteOutcome
{
    Done,
    NotFound,
    AlreadyExists,
    StaleRevision,
}

public static class WriteOutcomes
{
    /// <summary>
    /// Reads a revision-checked UPDATE: a row changed means done; none changed means the record
    /// is missing (no row now) or was at another revision (a row now).
    /// </summary>
    public static (WriteOutcome Outcome, T? Record) AfterUpdate<T>(int changed, T? current)
        where T : class => (changed == 1, current) switch
        {
            (true, _) => (WriteOutcome.Done, current),
            (false, null) => (WriteOutcome.NotFound, null),
            _ => (WriteOutcome.StaleRevision, current),
        };
}
