using System.Diagnostics;
using System.Text;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// Restores a <c>pg_dump</c> archive as one transaction that first drops every table of the target's schema:
/// <c>pg_restore</c> turns the archive into SQL, <c>psql</c> runs it after <c>BEGIN</c>, and <c>COMMIT</c> follows
/// only once pg_restore has finished cleanly. Anything short of that (a tool failing, psql stopping at an error,
/// the process being killed) ends the session with the transaction open, which PostgreSQL rolls back: the database
/// is the backup's or untouched.
/// </summary>
/// <remarks>
/// Why not <c>pg_restore --clean --if-exists --single-transaction</c> straight into the database: <c>--clean</c>
/// drops only what the archive holds. Rolling back a deploy restores a backup taken before a newer release's
/// migration, and a table that migration added would stay behind (its foreign key to <c>users</c> would even stop
/// <c>DROP TABLE users</c>), so the next migration could not create it again.
/// </remarks>
internal static class PostgresScriptRestore
{
    /// <summary>Every table of the schema the server uses (its search path's first), and what depends on them.</summary>
    private const string DropTables = """
        BEGIN;
        DO $polydev$
        DECLARE t record;
        BEGIN
            FOR t IN SELECT schemaname, tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
                EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', t.schemaname, t.tablename);
            END LOOP;
        END
        $polydev$;

        """;

    public static async Task RunAsync(PostgresClientTools tools, string archive, CancellationToken cancellationToken)
    {
        using var psql = Process.Start(tools.StartInfo("psql", ["--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1", "--set=VERBOSITY=terse"]))!;
        var psqlOutput = psql.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        var psqlErrors = psql.StandardError.ReadToEndAsync(CancellationToken.None);
        using var restore = Process.Start(tools.StartInfo("pg_restore", ["--no-owner", "--no-privileges", "--file=-", archive]))!;
        restore.StandardInput.Close();
        var restoreErrors = restore.StandardError.ReadToEndAsync(CancellationToken.None);

        var input = psql.StandardInput.BaseStream;
        try
        {
            await input.WriteAsync(Encoding.UTF8.GetBytes(DropTables), cancellationToken);
            // A large buffer: with the default one the copy through this process doubled the restore's time.
            await restore.StandardOutput.BaseStream.CopyToAsync(input, 1 << 20, cancellationToken);
            await restore.WaitForExitAsync(cancellationToken);
            if (restore.ExitCode == 0)
            {
                await input.WriteAsync("COMMIT;\n"u8.ToArray(), cancellationToken);
            }
        }
        catch (IOException)
        {
            // psql stopped reading: it quit at an error, which its exit code and stderr tell below.
        }
        catch (OperationCanceledException)
        {
            Kill(restore);
            Kill(psql);
            throw;
        }
        finally
        {
            Close(input);
        }

        // pg_restore may still be writing into a pipe nobody reads any more.
        if (!restore.HasExited)
        {
            Kill(restore);
        }

        await Task.WhenAll(restore.WaitForExitAsync(CancellationToken.None), psql.WaitForExitAsync(CancellationToken.None), psqlOutput);
        if (psql.ExitCode != 0)
        {
            throw PostgresClientTools.Failure("psql", psql.ExitCode, await psqlErrors);
        }

        if (restore.ExitCode != 0)
        {
            throw PostgresClientTools.Failure("pg_restore", restore.ExitCode, await restoreErrors);
        }
    }

    private static void Close(Stream input)
    {
        try
        {
            input.Close();
        }
        catch (IOException)
        {
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
