using System.Net.Sockets;
using Polydev.Server.Observability;

namespace Polydev.Verbs;

/// <summary>One line an operator can act on, instead of a stack trace, when the server cannot start.</summary>
internal static class StartupFailure
{
    public static string Describe(Exception exception) => exception switch
    {
        IOException { InnerException: SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } } => "the listen address is already in use; pick another with --urls.",
        Npgsql.NpgsqlException pg => $"cannot use the PostgreSQL database: {SecretRedactor.Redact(pg.Message)}",
        Microsoft.Data.Sqlite.SqliteException sqlite => $"cannot use the SQLite database: {sqlite.Message}",
        UnauthorizedAccessException => "the data directory is not writable; pick another with --data.",
        _ => SecretRedactor.Redact(exception.Message),
    };
}
