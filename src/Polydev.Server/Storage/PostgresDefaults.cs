using System.Data.Common;
using Npgsql;

namespace Polydev.Server.Storage;

/// <summary>
/// How Polydev talks to PostgreSQL unless the connection string says otherwise (issue 19: with them, the vault bench's
/// raw insert went from about 2,700 to 8,000 rows/s and the API's from 1,700–2,300 to 3,700–4,400 on two cores).
/// </summary>
public static class PostgresDefaults
{
    /// <summary>Statements prepared per connection; the vault and the accounts send a few dozen distinct ones.</summary>
    public const int MaxAutoPrepare = 64;

    /// <remarks>
    /// <list type="bullet">
    /// <item>Statements run twice are prepared on the connection and kept there: PostgreSQL parses and plans each once
    /// per connection instead of on every request. A pooler in transaction mode that cannot keep prepared statements
    /// (PgBouncer before 1.21, a Supabase pooler on port 6543) needs <c>Max Auto Prepare=0</c> in the connection
    /// string, which is then left alone.</item>
    /// <item>A connection going back to the pool is not reset (<c>DISCARD ALL</c> before its next use, which also dropped
    /// the prepared statements). Safe because Polydev keeps no session state on a connection: no <c>SET</c> without
    /// <c>LOCAL</c>, no temporary tables, no session advisory locks (the migration lock is a transaction's).</item>
    /// </list>
    /// </remarks>
    public static NpgsqlConnectionStringBuilder Apply(NpgsqlConnectionStringBuilder builder, string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
            builder.AutoPrepareMinUsages = 2;
        }

        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder;
    }
}
