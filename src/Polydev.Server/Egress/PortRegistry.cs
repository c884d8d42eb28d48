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

/// <summary>A user cannot have a listening egress port now; the message says why and who can change that.</summary>
public class EgressPortUnavailableException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>No free port is left in the configured range; nothing was allocated.</summary>
public sealed class PortRangeExhaustedException(int first, int last)
    : EgressPortUnavailableException($"Every egress port from {first} to {last} is taken or in use by another program on this host, so none could be given; the operator must widen Egress:FirstPort/LastPort.");

/// <summary>The user's own port (theirs for life) is held by another program on this host.</summary>
public sealed class EgressPortInUseException(int port, Exception inner)
    : EgressPortUnavailableException($"Your egress port {port} is in use by another program on this host, so it cannot be opened; the operator must free it.", inner);

/// <summary>
/// Hands out egress ports: the lowest free port of the range, on first need, in one INSERT so a
/// failure leaves nothing half-allocated. Concurrent allocations on either engine meet at the
/// unique constraints and retry; a user who already has a port gets it back. Ports another program
/// on the host holds are passed over (<see cref="EgressService.EnsurePortAsync"/> finds them).
/// </summary>
public sealed class PortRegistry(Database database, IOptions<EgressOptions> options, TimeProvider clock) : IUserDataOwner
{
    private const int MaxAttempts = 32;

    public IReadOnlyList<string> Tables { get; } = ["user_proxy_ports"];

    public Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken) =>
        UserData.DeleteByUserAsync(connection, transaction, userId, Tables, cancellationToken);

    public async Task<UserProxyPort?> FindAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserProxyPort>(new CommandDefinition(
            "SELECT user_id, port, bytes_up, bytes_down, created_at FROM user_proxy_ports WHERE user_id = @userId",
            new { userId = userId.ToString("D") },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The user's port, allocating the lowest free one of the range if they have none yet. Ports in
    /// <paramref name="skip"/> (found held by another program on this host) are passed over.
    /// </summary>
    /// <exception cref="PortRangeExhaustedException">The range is full.</exception>
    public async Task<(UserProxyPort Port, bool Allocated)> GetOrAllocateAsync(Guid userId, IReadOnlySet<int> skip, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await FindAsync(userId, cancellationToken) is { } existing)
            {
                return (existing, false);
            }

            await using var connection = await database.OpenAsync(cancellationToken);
            var taken = (await connection.QueryAsync<int>(new CommandDefinition(
                "SELECT port FROM user_proxy_ports WHERE port >= @first AND port <= @last",
                new { first = settings.FirstPort, last = settings.LastPort },
                cancellationToken: cancellationToken))).ToHashSet();
            var candidate = Enumerable.Range(settings.FirstPort, settings.LastPort - settings.FirstPort + 1)
                .Where(port => !taken.Contains(port) && !skip.Contains(port))
                .Select(port => (int?)port)
                .FirstOrDefault();
            if (candidate is not { } port)
            {
                throw new PortRangeExhaustedException(settings.FirstPort, settings.LastPort);
            }

            try
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO user_proxy_ports (user_id, port, bytes_up, bytes_down, created_at) VALUES (@userId, @port, 0, 0, @now)",
                    new { userId = userId.ToString("D"), port, now = UnixTime.Now(clock) },
                    cancellationToken: cancellationToken));
            }
            catch (Exception e) when (Database.IsUniqueViolation(e))
            {
                // Another allocation took this port (or this user got one meanwhile): look again.
                continue;
            }

            return ((await FindAsync(userId, cancellationToken))!, true);
        }

        throw new InvalidOperationException("Egress port allocation kept colliding with concurrent allocations; try again.");
    }

    /// <summary>Gives back a port just allocated to the user that could not be opened, so the next allocation passes it over.</summary>
    public async Task ReleaseAsync(Guid userId, int port, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM user_proxy_ports WHERE user_id = @userId AND port = @port AND bytes_up = 0 AND bytes_down = 0",
            new { userId = userId.ToString("D"), port },
            cancellationToken: cancellationToken));
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
