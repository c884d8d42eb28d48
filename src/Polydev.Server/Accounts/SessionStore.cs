using System.Data.Common;
using Dapper;

namespace Polydev.Server.Accounts;

/// <summary>
/// Reads and writes <c>auth_sessions</c>, which holds both login sessions and API tokens. Every revocation tells the
/// <see cref="SessionCache"/> once it is stored.
/// </summary>
public sealed class SessionStore(Database database, SessionCache cache) : IUserDataOwner
{
    private const string Columns = "id, user_id, kind, name, token_hash, created_at, last_used_at, expires_at, revoked_at";

    public IReadOnlyList<string> Tables { get; } = ["auth_sessions"];

    public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
        UserData.DeleteByUserAsync(connection, transaction, userId, Tables, cancellationToken);

    public async Task CreateAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO auth_sessions ({Columns}) VALUES (@Id, @UserId, @Kind, @Name, @TokenHash, @CreatedAt, @LastUsedAt, @ExpiresAt, @RevokedAt)",
            session,
            cancellationToken: cancellationToken));
    }

    /// <summary>The session with the token hash, and its user's key-rotation flag, in one query.</summary>
    public async Task<SessionRecord?> FindByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SessionRecord>(new CommandDefinition(
            """
            SELECT s.id, s.user_id, s.kind, s.name, s.token_hash, s.created_at, s.last_used_at, s.expires_at, s.revoked_at, u.key_rotation_required
            FROM auth_sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = @tokenHash
            """,
            new { tokenHash },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<SessionRecord>> ListActiveAsync(Guid userId, string? kind, long now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<SessionRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM auth_sessions WHERE user_id = @userId AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now) AND (@kind IS NULL OR kind = @kind) ORDER BY created_at, id",
            new { userId = userId.ToString("D"), now, kind },
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Revokes one session or token of the user; false if there is no such active one.</summary>
    public async Task<bool> RevokeAsync(Guid userId, Guid sessionId, string? kind, long now, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE auth_sessions SET revoked_at = @now WHERE id = @id AND user_id = @userId AND revoked_at IS NULL AND (@kind IS NULL OR kind = @kind)",
                new { id = sessionId.ToString("D"), userId = userId.ToString("D"), now, kind },
                cancellationToken: cancellationToken));
            return changed == 1;
        }
        finally
        {
            cache.ForgetAll();
        }
    }

    /// <summary>Revokes every active login session of the user except <paramref name="keep"/>; returns how many.</summary>
    public async Task<int> RevokeSessionsAsync(Guid userId, Guid? keep, long now, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            return await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE auth_sessions SET revoked_at = @now WHERE user_id = @userId AND kind = 'session' AND revoked_at IS NULL AND (@keep IS NULL OR id <> @keep)",
                new { userId = userId.ToString("D"), now, keep = keep?.ToString("D") },
                cancellationToken: cancellationToken));
        }
        finally
        {
            cache.ForgetAll();
        }
    }

    public async Task TouchAsync(string sessionId, long now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE auth_sessions SET last_used_at = @now WHERE id = @sessionId", new { sessionId, now }, cancellationToken: cancellationToken));
    }
}
