using System.Data.Common;
using Dapper;
using Polydev.Server.Accounts;

namespace Polydev.Server.Egress;

/// <summary>A row of <c>egress_tokens</c>, known only by its hash.</summary>
public sealed class EgressTokenRecord
{
    public string Id { get; set; } = "";
    public string UserId { get; set; } = "";
    public byte[] TokenHash { get; set; } = [];
    public long CreatedAt { get; set; }
    public long ExpiresAt { get; set; }
    public long? RevokedAt { get; set; }

    /// <summary>The client address the token works from (an execution's sandbox); null: any.</summary>
    public string? BoundAddress { get; set; }
}

/// <summary>
/// Proxy tokens (<c>pd_p_…</c>): short-lived, revocable, each for one user's port. An execution gets one of its own,
/// bound to its sandbox's address and revoked when the execution ends; a user asks for their own with
/// <c>polydev egress token</c>.
/// </summary>
public sealed class EgressTokenStore(Database database, TimeProvider clock) : IUserDataOwner
{
    private const string Columns = "id, user_id, token_hash, created_at, expires_at, revoked_at, bound_address";

    public IReadOnlyList<string> Tables { get; } = ["egress_tokens"];

    public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
        UserData.DeleteByUserAsync(connection, transaction, userId, Tables, cancellationToken);

    /// <param name="boundTo">The only client address the token will work from; null: any.</param>
    public async Task<(string Token, EgressTokenRecord Record)> IssueAsync(Guid userId, TimeSpan lifetime, CancellationToken cancellationToken, System.Net.IPAddress? boundTo = null)
    {
        var (token, hash) = BearerTokens.Issue(BearerTokens.EgressPrefix);
        var now = clock.GetUtcNow();
        var record = new EgressTokenRecord
        {
            Id = Guid.CreateVersion7(now).ToString("D"),
            UserId = userId.ToString("D"),
            TokenHash = hash,
            CreatedAt = now.ToUnixTimeMilliseconds(),
            ExpiresAt = (now + lifetime).ToUnixTimeMilliseconds(),
            BoundAddress = boundTo?.ToString(),
        };
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO egress_tokens ({Columns}) VALUES (@Id, @UserId, @TokenHash, @CreatedAt, @ExpiresAt, @RevokedAt, @BoundAddress)",
            record,
            cancellationToken: cancellationToken));
        return (token, record);
    }

    public async Task<EgressTokenRecord?> FindByHashAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<EgressTokenRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM egress_tokens WHERE token_hash = @tokenHash", new { tokenHash }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<EgressTokenRecord>> ListActiveAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<EgressTokenRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM egress_tokens WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now ORDER BY created_at, id",
            new { userId = userId.ToString("D"), now = UnixTime.Now(clock) },
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Revokes one of the user's tokens; returns its hash, or null when there was no such active token.</summary>
    public async Task<byte[]?> RevokeAsync(Guid userId, Guid tokenId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE egress_tokens SET revoked_at = @now WHERE id = @id AND user_id = @userId AND revoked_at IS NULL",
            new { id = tokenId.ToString("D"), userId = userId.ToString("D"), now = UnixTime.Now(clock) },
            cancellationToken: cancellationToken));
        if (changed == 0)
        {
            return null;
        }

        return await connection.QuerySingleAsync<byte[]>(new CommandDefinition(
            "SELECT token_hash FROM egress_tokens WHERE id = @id", new { id = tokenId.ToString("D") }, cancellationToken: cancellationToken));
    }

    /// <summary>Removes tokens that expired more than a day ago; they can never authenticate again.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM egress_tokens WHERE expires_at < @before",
            new { before = UnixTime.Now(clock) - (long)TimeSpan.FromDays(1).TotalMilliseconds },
            cancellationToken: cancellationToken));
    }
}
