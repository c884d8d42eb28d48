namespace Polydev.EndToEnd.Tests.Admin;

/// <summary>Bad input to <c>polydev admin</c> is one line on stderr and a non-zero exit, and no password is ever in it.</summary>
public sealed class AdminUsageTests
{
    [Fact]
    public async Task Bad_input_is_one_line_and_a_non_zero_exit()
    {
        await using var storage = await ServerStorage.CreateAsync(ServerStorage.Sqlite);
        var missing = Path.Combine(storage.DataDirectory, "no-such-dir", "x.backup");

        Assert.NotEqual(0, (await storage.AdminAsync("backup")).ExitCode);
        Assert.Contains("there is no SQLite database at", (await storage.AdminAsync("backup", "--output", Path.Combine(storage.DataDirectory, "x.backup"))).FailedWithOneLine(), StringComparison.Ordinal);
        Assert.False(File.Exists(storage.SqliteFile), "a backup of nothing made a database");

        (await storage.AdminAsync("migrate")).Succeeded();
        Assert.Contains("does not exist: create the directory", (await storage.AdminAsync("backup", "--output", missing)).FailedWithOneLine(), StringComparison.Ordinal);
        Assert.Contains("is a directory", (await storage.AdminAsync("backup", "--output", storage.DataDirectory)).FailedWithOneLine(), StringComparison.Ordinal);
        Assert.Contains("--status changes nothing", (await storage.AdminAsync("migrate", "--status", "--backup", missing)).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        Assert.Equal($"polydev admin restore: {missing} does not exist", (await storage.AdminAsync("restore", "--input", missing)).FailedWithOneLine());
        Assert.Contains("--input needs a file name", (await storage.AdminAsync("restore", "--input", " ")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        Assert.Contains("not a valid PostgreSQL connection string", (await storage.AdminAsync("backup", "--output", missing, "--database", "this is not one")).FailedWithOneLine(), StringComparison.Ordinal);
        Assert.Equal(["polydev.db"], Directory.GetFileSystemEntries(storage.DataDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task PostgreSQL_failures_name_the_problem_but_never_the_password()
    {
        await using var storage = await ServerStorage.CreateAsync(ServerStorage.Postgres);
        (await storage.AdminAsync("migrate")).Succeeded();
        var file = Path.Combine(storage.DataDirectory, "x.backup");
        var wrong = new Npgsql.NpgsqlConnectionStringBuilder(storage.ConnectionString) { Password = "wrong-password-7f3c9" }.ConnectionString;

        var line = (await RunAsync(["admin", "backup", "--output", file], new() { ["POLYDEV_DATABASE"] = wrong })).FailedWithOneLine();
        Assert.Contains("password authentication failed", line, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-7f3c9", line, StringComparison.Ordinal);

        // The client tools come from Debian's postgresql-client; without them the line says which package to install.
        var noTools = (await RunAsync(["admin", "backup", "--output", file], new() { ["POLYDEV_DATABASE"] = storage.ConnectionString, ["PATH"] = "/nonexistent" })).FailedWithOneLine();
        Assert.Equal("polydev admin backup: pg_dump is not installed: install Debian's postgresql-client (apt-get install postgresql-client), of the server's major version or newer", noTools);
        Assert.False(File.Exists(file));
        Assert.Empty(Directory.GetFileSystemEntries(storage.DataDirectory));
    }

    private static async Task<Infrastructure.CliResult> RunAsync(string[] arguments, Dictionary<string, string?> environment)
    {
        using var process = System.Diagnostics.Process.Start(Infrastructure.PolydevProcess.StartInfo(arguments, environment))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Infrastructure.CliResult(arguments, process.ExitCode, await stdout, await stderr);
    }
}
