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

    /// <summary>
    /// The user's <c>users.key_rotation_required</c>, read with the session (not a column of <c>auth_sessions</c>): the
    /// vault refuses writes while it is set (<c>VaultWriteGate</c>), without a query of its own.
    /// </summary>
    public bool KeyRotationRequired { get; set; }

    /// <summary>A copy last used at <paramref name="now"/>: a kept session is shared by requests and never changed in place.</summary>
    public SessionRecord UsedAt(long now)
    {
        var copy = (SessionRecord)MemberwiseClone();
        copy.LastUsedAt = now;
        return copy;
    }
}
