using Dapper;
using Polydev.Server.Storage;

namespace Polydev.Server.Pools;

/// <summary>The life of a sandbox in <c>runtime_containers</c>.</summary>
public static class RuntimeContainerStates
{
    /// <summary>Being created, or its agent making its key.</summary>
    public const string Warming = "warming";
    /// <summary>In the pool, its public key known, waiting for a job.</summary>
    public const string Ready = "ready";
    /// <summary>Handed to an execution that has not started yet.</summary>
    public const string Assigned = "assigned";
    /// <summary>Running its one job.</summary>
    public const string Executing = "executing";
    /// <summary>Done with its job (or failed), being destroyed.</summary>
    public const string Cooldown = "cooldown";
    public const string Destroyed = "destroyed";

    public static IReadOnlyList<string> All { get; } = [Warming, Ready, Assigned, Executing, Cooldown, Destroyed];

    /// <summary>Every state but <see cref="Destroyed"/>.</summary>
    public static IReadOnlyList<string> Live { get; } = [Warming, Ready, Assigned, Executing, Cooldown];
}

/// <summary>A row of <c>runtime_containers</c>: metadata only (the public key is public).</summary>
public sealed class RuntimeContainerRecord
{
    public string Id { get; set; } = "";
    public string OwnerServer { get; set; } = "";
    public string Engine { get; set; } = "";
    public string? EngineId { get; set; }
    /// <summary>The runtime kind (<c>claude</c>, …); the column kept its first name, <c>provider</c>.</summary>
    public string Provider { get; set; } = "";
    public string Image { get; set; } = "";
    public string ImageVersion { get; set; } = "";
    public string State { get; set; } = "";
    public byte[]? PublicKey { get; set; }
    public string? ExecutionId { get; set; }
    public string? Reason { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>
/// <c>runtime_containers</c>: what every sandbox this server created is doing, so a restarted server can
/// account for each of them. The pool's in-memory queue is the hand-out; this table is the record.
/// </summary>
public sealed class RuntimeContainerStore(Database database, TimeProvider clock)
{
    private const string Columns = "id, owner_server, engine, engine_id, provider, image, image_version, state, public_key, execution_id, reason, created_at, updated_at";

    public async Task InsertAsync(RuntimeContainerRecord record, CancellationToken cancellationToken)
    {
        record.CreatedAt = record.UpdatedAt = UnixTime.Now(clock);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO runtime_containers ({Columns}) VALUES (@Id, @OwnerServer, @Engine, @EngineId, @Provider, @Image, @ImageVersion, @State, @PublicKey, @ExecutionId, @Reason, @CreatedAt, @UpdatedAt)",
            record,
            cancellationToken: cancellationToken));
    }

    /// <summary>Marks the sandbox ready with its engine id and public key.</summary>
    public async Task MarkReadyAsync(string id, string engineId, byte[] publicKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE runtime_containers SET state = @state, engine_id = @engineId, public_key = @publicKey, updated_at = @now WHERE id = @id AND state = @warming",
            new { id, engineId, publicKey, state = RuntimeContainerStates.Ready, warming = RuntimeContainerStates.Warming, now = UnixTime.Now(clock) },
            cancellationToken: cancellationToken));
    }

    /// <summary>Moves a sandbox from one state to another; false when it was not in <paramref name="from"/> (someone else moved it).</summary>
    public async Task<bool> TransitionAsync(string id, string from, string to, string? executionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE runtime_containers SET state = @to, execution_id = COALESCE(@executionId, execution_id), updated_at = @now WHERE id = @id AND state = @from",
            new { id, from, to, executionId, now = UnixTime.Now(clock) },
            cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Records that the sandbox is gone, and why.</summary>
    public async Task MarkDestroyedAsync(string id, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE runtime_containers SET state = @destroyed, reason = @reason, public_key = NULL, updated_at = @now WHERE id = @id",
            new { id, reason, destroyed = RuntimeContainerStates.Destroyed, now = UnixTime.Now(clock) },
            cancellationToken: cancellationToken));
    }

    /// <summary>This server's sandboxes that are not destroyed.</summary>
    public async Task<IReadOnlyList<RuntimeContainerRecord>> ListLiveAsync(string ownerServer, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RuntimeContainerRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM runtime_containers WHERE owner_server = @ownerServer AND state <> @destroyed ORDER BY created_at, id",
            new { ownerServer, destroyed = RuntimeContainerStates.Destroyed },
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<RuntimeContainerRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RuntimeContainerRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM runtime_containers WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>Forgets destroyed rows older than <paramref name="olderThan"/>, so the table holds the live set and recent history.</summary>
    public async Task<int> PurgeDestroyedAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM runtime_containers WHERE state = @destroyed AND updated_at < @before",
            new { destroyed = RuntimeContainerStates.Destroyed, before = UnixTime.Now(clock) - (long)olderThan.TotalMilliseconds },
            cancellationToken: cancellationToken));
    }
}
