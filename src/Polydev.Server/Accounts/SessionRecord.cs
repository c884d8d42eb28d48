namespace Polydev.Server.Accounts;

/// <summary>A row of <c>auth_sessions</c>: a login session or an API token, known only by its hash.</summary>
public sealed class SessionRecord
{
    public string Id { get; set; } = "";
    public string UserId { get; set; } = "";
    public string Kind { get; set; } = "";
    public string? Name { get; set; }
    public byte[] TokenHash { get; set; } = [];
    public long CreatedAt { get; set; }
    public long LastUsedAt { get; set; }
    public long? ExpiresAt { get; set; }
    public long? RevokedAt { get; set; }
}
