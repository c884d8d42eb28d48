using System.Data.Common;
using Dapper;
using Polydev.Contracts.Executions;
using Polydev.Server.Http;
using Polydev.Server.Storage;

namespace Polydev.Server.Executions;

/// <summary>A row of <c>job_executions</c>: metadata only; the output is ciphertext in <c>job_execution_chunks</c>.</summary>
public sealed class ExecutionRecord
{
    public string Id { get; set; } = "";
    public string UserId { get; set; } = "";
    public string Provider { get; set; } = "";
    public string? SandboxId { get; set; }
    public string? EgressTokenId { get; set; }
    public string OwnerServer { get; set; } = "";
    public string State { get; set; } = "";
    public string? Reason { get; set; }
    /// <summary>1 when the sandbox came from the warm pool (an integer column on both engines).</summary>
    public long Warm { get; set; }
    public long? ExitCode { get; set; }
    public long OutputBytes { get; set; }
    public long ChunkCount { get; set; }
    public long CreatedAt { get; set; }
    public long? StartedAt { get; set; }
    public long? FinishedAt { get; set; }
}

/// <summary><c>job_executions</c> and their ciphertext chunks.</summary>
public sealed class ExecutionStore(Database database, TimeProvider clock) : IUserDataOwner
{
    private const string Columns = "id, user_id, provider, sandbox_id, egress_token_id, owner_server, state, reason, warm, exit_code, output_bytes, chunk_count, created_at, started_at, finished_at";

    public IReadOnlyList<string> Tables { get; } = ["job_execution_chunks", "job_executions"];

    /// <summary>The chunks carry no user column; they go by their execution's user, before the executions.</summary>
    public async Task ForgetUserAsync(DbConnection connection, DbTransaction transaction, Guid userId, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM job_execution_chunks WHERE execution_id IN (SELECT id FROM job_executions WHERE user_id = @id)",
            new { id = userId.ToString("D") },
            transaction,
            cancellationToken: cancellationToken));
        await UserData.DeleteByUserAsync(connection, transaction, userId, ["job_executions"], cancellationToken);
    }

    public async Task InsertAsync(ExecutionRecord record, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO job_executions ({Columns}) VALUES (@Id, @UserId, @Provider, @SandboxId, @EgressTokenId, @OwnerServer, @State, @Reason, @Warm, @ExitCode, @OutputBytes, @ChunkCount, @CreatedAt, @StartedAt, @FinishedAt)",
            new
            {
                record.Id, record.UserId, record.Provider, record.SandboxId, record.EgressTokenId, record.OwnerServer, record.State, record.Reason,
                record.Warm, record.ExitCode, record.OutputBytes, record.ChunkCount, record.CreatedAt, record.StartedAt, record.FinishedAt,
            },
            cancellationToken: cancellationToken));
    }

    public async Task<ExecutionRecord?> FindAsync(Guid userId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ExecutionRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM job_executions WHERE id = @id AND user_id = @userId",
            new { id = id.ToString("D"), userId = userId.ToString("D") },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<ExecutionRecord>> ListAsync(Guid userId, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var after = page.After;
        var rows = await connection.QueryAsync<ExecutionRecord>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM job_executions
            WHERE user_id = @userId AND (@afterCreated IS NULL OR created_at > @afterCreated OR (created_at = @afterCreated AND id > @afterId))
            ORDER BY created_at, id
            LIMIT @take
            """,
            new { userId = userId.ToString("D"), afterCreated = after?.CreatedAt, afterId = after?.Id.ToString("D"), take = page.Limit + 1 },
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Executions of the user that hold a sandbox (allocated or running).</summary>
    public async Task<int> CountActiveAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM job_executions WHERE user_id = @userId AND state IN (@allocated, @running)",
            new { userId = userId.ToString("D"), allocated = ExecutionStates.Allocated, running = ExecutionStates.Running },
            cancellationToken: cancellationToken));
    }

    /// <summary>allocated → running; false when the execution was not allocated any more (started twice, cancelled, expired).</summary>
    public async Task<bool> MarkRunningAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE job_executions SET state = @running, started_at = @now WHERE id = @id AND state = @allocated",
            new { id, running = ExecutionStates.Running, allocated = ExecutionStates.Allocated, now = UnixTime.Now(clock) },
            cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Ends an execution that has not ended yet; false when it already had.</summary>
    public async Task<bool> FinishAsync(string id, string state, string reason, int? exitCode, long outputBytes, long chunkCount, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE job_executions SET state = @state, reason = @reason, exit_code = @exitCode, output_bytes = @outputBytes, chunk_count = @chunkCount, finished_at = @now
            WHERE id = @id AND state IN (@allocated, @running)
            """,
            new { id, state, reason, exitCode, outputBytes, chunkCount, now = UnixTime.Now(clock), allocated = ExecutionStates.Allocated, running = ExecutionStates.Running },
            cancellationToken: cancellationToken)) == 1;
    }

    public async Task AppendChunkAsync(string id, long sequence, byte[] frame, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO job_execution_chunks (execution_id, sequence, frame) VALUES (@id, @sequence, @frame)",
            new { id, sequence, frame },
            cancellationToken: cancellationToken));
    }

    /// <summary>Stored frames from <paramref name="from"/> on, in order.</summary>
    public async Task<IReadOnlyList<byte[]>> ReadChunksAsync(string id, long from, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<byte[]>(new CommandDefinition(
            "SELECT frame FROM job_execution_chunks WHERE execution_id = @id AND sequence >= @from ORDER BY sequence",
            new { id, from },
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>
    /// Fails every execution of this server still allocated or running — after a crash or restart nobody is
    /// running them — and returns them, so their proxy tokens can be revoked.
    /// </summary>
    public async Task<IReadOnlyList<ExecutionRecord>> FailInterruptedAsync(string ownerServer, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var interrupted = (await connection.QueryAsync<ExecutionRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM job_executions WHERE owner_server = @ownerServer AND state IN (@allocated, @running)",
            new { ownerServer, allocated = ExecutionStates.Allocated, running = ExecutionStates.Running },
            cancellationToken: cancellationToken))).AsList();
        foreach (var execution in interrupted)
        {
            var chunks = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM job_execution_chunks WHERE execution_id = @id", new { id = execution.Id }, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE job_executions SET state = @failed, reason = @reason, chunk_count = @chunks, finished_at = @now WHERE id = @id AND state IN (@allocated, @running)",
                new { id = execution.Id, failed = ExecutionStates.Failed, reason = ExecutionReasons.ServerRestart, chunks, now = UnixTime.Now(clock), allocated = ExecutionStates.Allocated, running = ExecutionStates.Running },
                cancellationToken: cancellationToken));
        }

        return interrupted;
    }
}
