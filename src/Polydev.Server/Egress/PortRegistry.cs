using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Egress;

/// <summary>A row of <c>user_proxy_ports</c>: a user's egress port, theirs for the life of the account.</summary>
public sealed class UserProxyPort
{
    public string UserId { get; set; } = "";
    public int Port { get; set; }
    public long BytesUp { get; set; }
    public long BytesDown { get; set; }
    public long CreatedAt { get; set; }
}

/// <summary>No free port is left in the configured range; nothing was allocated.</summary>
public sealed class PortRangeExhaustedException(int first, int last)
    : InvalidOperationException($"Every egress port from {first} to {last} is taken; the operator must widen Egress:FirstPort/LastPort.");

/// <summary>
/// Hands out egress ports: the lowest free port of the range, on first need, in one INSERT so a
/// failure leaves nothing half-allocated. Concurrent allocations on either engine meet at the
/// unique constraints and retry; a user who already has a port gets it back.
/// </summary>
public sealed class PortRegistry(Database database, IOptions<EgressOptions> options, TimeProvider clock) : IUserDataOwner
{
    private const int MaxAttempts = 32;

    public IReadOnlyList<string> Tables { get; } = ["user_proxy_ports"];

    public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
        UserData.DeleteByUserAsync(connection, transaction, userId, Tables, cancellationToken);

    // The lowest free port: the first of the range if free, else one past the lowest taken port
    // whose successor is free. Written with subqueries both engines plan alike.
    private const string AllocateSql = """
        INSERT INTO user_proxy_ports (user_id, port, bytes_up, bytes_down, created_at)
        SELECT @userId, candidate, 0, 0, @now FROM (
            SELECT CASE
                WHEN NOT EXISTS (SELECT 1 FROM user_proxy_ports WHERE port = @first) THEN @first
                ELSE (SELECT MIN(p.port) + 1 FROM user_proxy_ports p
                      WHERE p.port >= @first AND p.port < @last
                        AND NOT EXISTS (SELECT 1 FROM user_proxy_ports q WHERE q.port = p.port + 1))
            END AS candidate
        ) free
        WHERE candidate IS NOT NULL AND candidate <= @last
        """;

    public async Task<UserProxyPort?> FindAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserProxyPort>(new CommandDefinition(
            "SELECT user_id, port, bytes_up, bytes_down, created_at FROM user_proxy_ports WHERE user_id = @userId",
            new { userId = userId.ToString("D") },
            cancellationToken: cancellationToken));
    }

    /// <summary>The user's port, allocating it if they have none yet.</summary>
    /// <exception cref="PortRangeExhaustedException">The range is full.</exception>
    public async Task<(UserProxyPort Port, bool Allocated)> GetOrAllocateAsync(Guid userId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await FindAsync(userId, cancellationToken) is { } existing)
            {
                return (existing, false);
            }

            await using var connection = await database.OpenAsync(cancellationToken);
            int inserted;
            try
            {
                inserted = await connection.ExecuteAsync(new CommandDefinition(
                    AllocateSql,
                    new { userId = userId.ToString("D"), now = UnixTime.Now(clock), first = settings.FirstPort, last = settings.LastPort },
                    cancellationToken: cancellationToken));
            }
            catch (Exception e) when (Database.IsUniqueViolation(e))
            {
                // Another allocation took this port (or this user got one meanwhile): look again.
                continue;
            }

            if (inserted == 0)
            {
                throw new PortRangeExhaustedException(settings.FirstPort, settings.LastPort);
            }

            return ((await FindAsync(userId, cancellationToken))!, true);
        }

        throw new InvalidOperationException("Egress port allocation kept colliding with concurrent allocations; try again.");
    }

    public async Task<IReadOnlyList<UserProxyPort>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<UserProxyPort>(new CommandDefinition(
            "SELECT user_id, port, bytes_up, bytes_down, created_at FROM user_proxy_ports ORDER BY port", cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Every allocated port with its owner's e-mail, for the operator's listing.</summary>
    public async Task<IReadOnlyList<(UserProxyPort Port, string Email)>> ListWithEmailsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<UserProxyPort, string, (UserProxyPort, string)>(
            new CommandDefinition(
                "SELECT p.user_id, p.port, p.bytes_up, p.bytes_down, p.created_at, u.email FROM user_proxy_ports p JOIN users u ON u.id = p.user_id ORDER BY p.port",
                cancellationToken: cancellationToken),
            (port, email) => (port, email),
            splitOn: "email");
        return rows.AsList();
    }

    /// <summary>Adds bytes moved since the last flush to each user's stored totals.</summary>
    public async Task AddUsageAsync(IReadOnlyDictionary<Guid, EgressUsage> deltas, CancellationToken cancellationToken)
    {
        var rows = deltas.Where(d => d.Value.BytesUp != 0 || d.Value.BytesDown != 0)
            .Select(d => new { userId = d.Key.ToString("D"), up = d.Value.BytesUp, down = d.Value.BytesDown })
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE user_proxy_ports SET bytes_up = bytes_up + @up, bytes_down = bytes_down + @down WHERE user_id = @userId",
            rows,
            transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }
}
