using System.Data.Common;
using Dapper;

namespace Polydev.Server.Storage;

/// <summary>How a write of a user's record ended; each maps to one HTTP answer.</summary>
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
    /// Runs an INSERT: a row written is done; a unique or primary key already taken is <see cref="WriteOutcome.AlreadyExists"/>;
    /// no row written (a guarded <c>INSERT … SELECT … WHERE EXISTS</c>) or a parent gone meanwhile is <see cref="WriteOutcome.NotFound"/>.
    /// </summary>
    public static async Task<WriteOutcome> InsertAsync(Database database, CommandDefinition insert)
    {
        await using var connection = await database.OpenAsync(insert.CancellationToken);
        try
        {
            return await connection.ExecuteAsync(insert) == 1 ? WriteOutcome.Done : WriteOutcome.NotFound;
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            return WriteOutcome.AlreadyExists;
        }
        catch (Exception e) when (Database.IsForeignKeyViolation(e))
        {
            return WriteOutcome.NotFound;
        }
    }

    /// <summary>
    /// Runs a revision-checked UPDATE and reads the record back on the same connection: a row changed means done; none
    /// changed means the record is missing (no row now) or was at another revision (a row now).
    /// </summary>
    public static async Task<(WriteOutcome Outcome, T? Record)> UpdateAsync<T>(Database database, CommandDefinition update, Func<DbConnection, Task<T?>> find)
        where T : class
    {
        await using var connection = await database.OpenAsync(update.CancellationToken);
        var changed = await connection.ExecuteAsync(update);
        var current = await find(connection);
        return (changed == 1, current) switch
        {
            (true, _) => (WriteOutcome.Done, current),
            (false, null) => (WriteOutcome.NotFound, null),
            _ => (WriteOutcome.StaleRevision, current),
        };
    }

    /// <summary>Runs a DELETE of one record; true when it was there.</summary>
    public static async Task<bool> DeleteAsync(Database database, CommandDefinition delete)
    {
        await using var connection = await database.OpenAsync(delete.CancellationToken);
        return await connection.ExecuteAsync(delete) == 1;
    }
}
