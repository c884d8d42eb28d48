using Npgsql;
using Polydev.Server.Storage.Backups;
using Polydev.Testing;

namespace Polydev.Server.Tests.Storage.Backups;

/// <summary>The PostgreSQL client tools get the server's connection with the password in a private passfile, never in their arguments or environment.</summary>
public sealed class PostgresClientToolsTests
{
    [Fact]
    public void The_password_goes_to_a_0600_passfile_and_nowhere_else()
    {
        var work = Directory.CreateTempSubdirectory("polydev-pgtools-").FullName;
        try
        {
            const string password = @"pa:ss\word 1";
            var builder = new NpgsqlConnectionStringBuilder($"Host=db.example;Port=6543;Database=polydev;Username=app;Password={password};SSL Mode=VerifyFull;Timeout=7");
            var tools = new PostgresClientTools(builder.ConnectionString, work);
            var start = tools.StartInfo("sh", ["-c", "true"]);

            Assert.DoesNotContain(start.ArgumentList, a => a.Contains("pa:ss", StringComparison.Ordinal));
            Assert.DoesNotContain(start.Environment, e => e.Value?.Contains("pa:ss", StringComparison.Ordinal) == true);
            Assert.False(start.Environment.ContainsKey("PGPASSWORD"));
            Assert.Equal(("db.example", "6543", "polydev", "app", "verify-full", "7"), (start.Environment["PGHOST"], start.Environment["PGPORT"], start.Environment["PGDATABASE"], start.Environment["PGUSER"], start.Environment["PGSSLMODE"], start.Environment["PGCONNECT_TIMEOUT"]));

            var passfile = start.Environment["PGPASSFILE"]!;
            Assert.Equal(work, Path.GetDirectoryName(passfile));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passfile));
            }

            Assert.Equal("*:*:*:*:pa\\:ss\\\\word 1\n", File.ReadAllText(passfile));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Psql_signs_in_with_the_passfile_alone()
    {
        var work = Directory.CreateTempSubdirectory("polydev-pgtools-").FullName;
        try
        {
            var tools = new PostgresClientTools(PostgresServer.ConnectionString, work);
            var output = await tools.RunAsync("psql", ["--no-psqlrc", "--no-password", "--tuples-only", "--command=SELECT current_user || ' ' || current_setting('application_name')"], CancellationToken.None);
            Assert.Equal($"{new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString).Username} {PostgresClientTools.ApplicationName}", output.Trim());

            var wrong = new PostgresClientTools(new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Password = "not-the-password-4d1" }.ConnectionString, Directory.CreateTempSubdirectory("polydev-pgtools-").FullName);
            var failure = await Assert.ThrowsAsync<BackupException>(() => wrong.RunAsync("psql", ["--no-psqlrc", "--no-password", "--command=SELECT 1"], CancellationToken.None));
            Assert.StartsWith("psql failed (exit code 2): ", failure.Message, StringComparison.Ordinal);
            Assert.Contains("password authentication failed", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("not-the-password-4d1", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
