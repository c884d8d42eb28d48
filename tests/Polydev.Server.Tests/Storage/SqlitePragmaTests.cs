using Dapper;
using Polydev.Server.Storage;

namespace Polydev.Server.Tests.Storage;

/// <summary>
/// Issue 19: the SQLite pragmas are set once per native connection, not on every open; a connection the pool hands
/// out again must still have them, or a write would fail at once on a busy database (no busy_timeout) or fsync on
/// every commit (synchronous back to FULL).
/// </summary>
public sealed class SqlitePragmaTests
{
    [Fact]
    public async Task Every_open_connection_has_the_pragmas_also_when_the_pool_reuses_it()
    {
        var directory = Directory.CreateTempSubdirectory("polydev-test-").FullName;
        try
        {
            await using var database = Database.Create(null, directory);
            for (var i = 0; i < 3; i++)
            {
                // Two at once: the second is a second native connection, which needs its own pragmas.
                await using var first = await database.OpenAsync();
                await using var second = await database.OpenAsync();
                foreach (var connection in new[] { first, second })
                {
                    Assert.Equal(5000, await connection.ExecuteScalarAsync<long>("PRAGMA busy_timeout"));
                    Assert.Equal(1, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous")); // NORMAL
                }
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
