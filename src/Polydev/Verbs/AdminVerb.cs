using System.CommandLine;
using System.Globalization;
using Polydev.Server.Hosting;
using Polydev.Server.Storage;
using Polydev.Server.Storage.Backups;

namespace Polydev.Verbs;

/// <summary>
/// <c>polydev admin backup|restore|migrate</c>: the operator's database verbs (docs/operations.md, "Backups and
/// migrations"), on the database <c>polydev server</c> would use: the same appsettings.json and <c>POLYDEV_</c>
/// variables, and the same <c>--data</c>/<c>--database</c>. The result goes to stdout, logs (JSON lines) to stderr,
/// and a failure is one line on stderr with a non-zero exit code.
/// </summary>
internal static class AdminVerb
{
    private const int Failed = 1;
    private const int BadUsage = 2;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "The server's data directory, holding the SQLite file (default ./data; env POLYDEV_DATA).", HelpName = "DIR", Recursive = true };
        var database = new Option<string?>("--database")
        {
            Description = "The server's PostgreSQL connection string; selects PostgreSQL (env POLYDEV_DATABASE, which is better: arguments are visible to other local users).",
            HelpName = "CONNECTION",
            Recursive = true,
        };

        var output = new Option<string>("--output", "-o") { Description = "The backup file to write (replaced atomically if it exists; mode 0600).", HelpName = "FILE", Required = true };
        var backup = new Command("backup", "Write a consistent backup of the database to one file, while the server may be running.") { output };
        backup.SetAction((parse, ct) => RunAsync("backup", parse, data, database, host => BackupAsync(host, parse.GetValue(output)!, ct)));

        var input = new Option<string>("--input", "-i") { Description = "The backup file to restore.", HelpName = "FILE", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace a database that is not empty (that has accounts, or tables that are not Polydev's)." };
        var restore = new Command("restore", "Restore a backup into the database, all or nothing; stop the server first.") { input, force };
        restore.SetAction((parse, ct) => RunAsync("restore", parse, data, database, host => RestoreAsync(host, parse.GetValue(input)!, parse.GetValue(force), ct)));

        var backupFirst = new Option<string?>("--backup") { Description = "Write a backup to FILE before migrating (none when the database has no Polydev schema yet).", HelpName = "FILE" };
        var status = new Option<bool>("--status") { Description = "Print the database's schema version and this polydev's, and what is pending; change nothing." };
        var migrate = new Command("migrate", "Apply the pending schema migrations and exit, printing the versions before and after.") { backupFirst, status };
        migrate.SetAction((parse, ct) => RunAsync("migrate", parse, data, database, host =>
            parse.GetValue(status)
                ? parse.GetValue(backupFirst) is null ? StatusAsync(host, ct) : throw new UsageException("--status changes nothing, so it takes no --backup")
                : MigrateAsync(host, parse.GetValue(backupFirst), ct)));

        return new Command("admin", "Operator verbs on the server's database: backup, restore, migrate.") { data, database, backup, restore, migrate };
    }

    private static async Task<int> BackupAsync(AdminHost host, string output, CancellationToken cancellationToken)
    {
        var manifest = await host.Backups.BackupAsync(NonEmpty(output, "--output"), cancellationToken);
        Console.WriteLine(Described(host.Backups.Description, Path.GetFullPath(output), manifest));
        return 0;
    }

    private static async Task<int> RestoreAsync(AdminHost host, string input, bool force, CancellationToken cancellationToken)
    {
        var manifest = await host.Backups.RestoreAsync(NonEmpty(input, "--input"), force, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"restored {host.Backups.Description} from {Path.GetFullPath(input)}: schema version {manifest.SchemaVersion}, taken {manifest.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z by Polydev {manifest.PolydevVersion}"));
        if (manifest.SchemaVersion < AppliedSchema.Known.Version)
        {
            await Console.Error.WriteLineAsync(
                $"polydev admin restore: the backup is at schema version {manifest.SchemaVersion}; this polydev migrates it to {AppliedSchema.Known.Version} when the server starts (or now: polydev admin migrate).");
        }

        return 0;
    }

    private static async Task<int> MigrateAsync(AdminHost host, string? backup, CancellationToken cancellationToken)
    {
        var outcome = await host.Migration.MigrateAsync(backup is null ? null : NonEmpty(backup, "--backup"), cancellationToken);
        if (outcome.Backup is { } manifest)
        {
            Console.WriteLine(Described(host.Migration.Description, Path.GetFullPath(backup!), manifest));
        }
        else if (backup is not null)
        {
            await Console.Error.WriteLineAsync($"polydev admin migrate: no backup written: {host.Migration.Description} held no Polydev schema yet.");
        }

        var change = outcome.Change;
        Console.WriteLine(change.Applied == 0
            ? $"{host.Migration.Description}: schema version {change.To}, up to date"
            : $"migrated {host.Migration.Description}: schema version {change.From} -> {change.To} ({change.Applied} migration{(change.Applied == 1 ? "" : "s")})");
        return 0;
    }

    private static async Task<int> StatusAsync(AdminHost host, CancellationToken cancellationToken)
    {
        var applied = await host.Migration.StatusAsync(cancellationToken);
        var known = AppliedSchema.Known;
        Console.WriteLine($"database: {host.Migration.Description}");
        Console.WriteLine(applied is null || applied.Version == 0 ? "schema version: none (no Polydev schema yet)" : $"schema version: {applied.Version} ({applied.LastName})");
        Console.WriteLine($"this polydev: {known.Version} ({known.LastName}), {BackupManifest.PolydevBuild}");
        var mismatch = applied?.Mismatch();
        Console.WriteLine(mismatch is not null
            ? $"pending: none; {mismatch}"
            : $"pending: {((applied ?? new AppliedSchema([])).Pending is { Count: > 0 } pending ? string.Join(", ", pending.Select(m => $"{m.Version} ({m.Name})")) : "none")}");
        return 0;
    }

    private static string Described(string database, string file, BackupManifest manifest) => string.Create(CultureInfo.InvariantCulture,
        $"backed up {database} to {file}: schema version {manifest.SchemaVersion}, {manifest.Payload.Size:N0} bytes of database");

    private static string NonEmpty(string value, string option) =>
        string.IsNullOrWhiteSpace(value) ? throw new UsageException($"{option} needs a file name") : value;

    private static async Task<int> RunAsync(string verb, ParseResult parse, Option<string?> data, Option<string?> database, Func<AdminHost, Task<int>> action)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (parse.GetValue(data) is { Length: > 0 } dataDirectory)
        {
            overrides[nameof(ServerOptions.Data)] = dataDirectory;
        }

        if (parse.GetValue(database) is { Length: > 0 } connectionString)
        {
            overrides[nameof(ServerOptions.Database)] = connectionString;
        }

        try
        {
            await using var host = AdminHost.Open(overrides);
            return await action(host);
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"polydev admin {verb}: {e.Message}");
            return BadUsage;
        }
        catch (BackupException e)
        {
            await Console.Error.WriteLineAsync($"polydev admin {verb}: {e.Message}");
            return Failed;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"polydev admin {verb}: cancelled");
            return 130;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"polydev admin {verb}: {e.Message}");
            return Failed;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"polydev admin {verb}: {StartupFailure.Describe(e)}");
            return Failed;
        }
    }

    private sealed class UsageException(string message) : Exception(message);
}
