using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// Debian's PostgreSQL client programs (<c>pg_dump</c>, <c>pg_restore</c>, <c>psql</c>, package postgresql-client)
/// pointed at the server's database: the Npgsql connection string becomes libpq's environment variables, and its
/// password a passfile of mode 0600 in the operation's private work directory, so it is in no process's arguments or
/// environment. A tool that fails is reported by the last line it wrote to stderr.
/// </summary>
internal sealed class PostgresClientTools(string connectionString, string workDirectory)
{
    public const string ApplicationName = "polydev admin";

    private const string InstallHint = "install Debian's postgresql-client (apt-get install postgresql-client), of the server's major version or newer";

    private Dictionary<string, string?>? _environment;

    public ProcessStartInfo StartInfo(string tool, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Find(tool))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Whatever PG* the operator's shell holds is overridden by what the connection string says.
        _environment ??= LibpqEnvironment(new NpgsqlConnectionStringBuilder(connectionString), workDirectory);
        foreach (var (name, value) in _environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return start;
    }

    /// <summary>Runs <paramref name="tool"/> to the end; a non-zero exit becomes a <see cref="BackupException"/>.</summary>
    public async Task<string> RunAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using var process = Process.Start(StartInfo(tool, arguments))!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw Failure(tool, process.ExitCode, await errors);
        }

        return await output;
    }

    /// <summary>
    /// A tool's failure as one line: its first error line on stderr (<c>pg_dump: error: …</c>, psql's <c>ERROR:</c>;
    /// libpq adds detail lines after it), else its last line, with anything that looks like a secret removed.
    /// </summary>
    public static BackupException Failure(string tool, int exitCode, string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = lines.FirstOrDefault(l => l.Contains("error:", StringComparison.OrdinalIgnoreCase) || l.Contains("FATAL:", StringComparison.Ordinal))
            ?? lines.LastOrDefault()
            ?? "no message";
        return new BackupException($"{tool} failed (exit code {exitCode}): {SecretRedactor.Redact(line)}");
    }

    /// <summary>The program's path on PATH; Debian's /usr/bin ones pick the newest installed client version.</summary>
    public static string Find(string tool)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new BackupException($"{tool} is not installed: {InstallHint}");
    }

    /// <summary>libpq's variables for what the connection string sets; the password goes to a passfile in <paramref name="workDirectory"/>.</summary>
    public static Dictionary<string, string?> LibpqEnvironment(NpgsqlConnectionStringBuilder connection, string workDirectory)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["PGAPPNAME"] = string.IsNullOrEmpty(connection.ApplicationName) ? ApplicationName : connection.ApplicationName,
            ["PGSSLMODE"] = SslMode(connection.SslMode),
        };
        Set(environment, "PGHOST", connection.Host);
        Set(environment, "PGPORT", connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set(environment, "PGDATABASE", connection.Database);
        Set(environment, "PGUSER", connection.Username);
        Set(environment, "PGSSLROOTCERT", connection.RootCertificate);
        Set(environment, "PGSSLCERT", connection.SslCertificate);
        Set(environment, "PGSSLKEY", connection.SslKey);
        Set(environment, "PGCONNECT_TIMEOUT", connection.Timeout > 0 ? connection.Timeout.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
        var options = connection.Options ?? "";
        if (!string.IsNullOrEmpty(connection.SearchPath))
        {
            // The server's tables live where its search path says; psql must drop and create them there too.
            options = $"{options} -c search_path={connection.SearchPath.Replace(" ", "\\ ", StringComparison.Ordinal)}".Trim();
        }

        Set(environment, "PGOPTIONS", options);
        if (!string.IsNullOrEmpty(connection.Password))
        {
            environment["PGPASSFILE"] = WritePassfile(connection.Password, workDirectory);
            // An inherited PGPASSWORD would win over the passfile.
            environment["PGPASSWORD"] = null;
        }
        else
        {
            Set(environment, "PGPASSFILE", connection.Passfile);
        }

        return environment;
    }

    /// <summary>One line matching every host, port, database and user: <c>*:*:*:*:password</c>, with <c>\</c> and <c>:</c> escaped.</summary>
    private static string WritePassfile(string password, string workDirectory)
    {
        if (password.Contains('\n', StringComparison.Ordinal) || password.Contains('\r', StringComparison.Ordinal))
        {
            throw new BackupException("the PostgreSQL password holds a line break, which a passfile cannot carry: use a passfile of your own (Passfile=… in the connection string)");
        }

        var path = Path.Combine(workDirectory, "pgpass");
        using (var file = BackupFile.CreatePrivate(path))
        {
            var escaped = password.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);
            file.Write(Encoding.UTF8.GetBytes($"*:*:*:*:{escaped}\n"));
        }

        return path;
    }

    private static string SslMode(Npgsql.SslMode mode) => mode switch
    {
        Npgsql.SslMode.Disable => "disable",
        Npgsql.SslMode.Allow => "allow",
        Npgsql.SslMode.Require => "require",
        Npgsql.SslMode.VerifyCA => "verify-ca",
        Npgsql.SslMode.VerifyFull => "verify-full",
        _ => "prefer",
    };

    private static void Set(Dictionary<string, string?> environment, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            environment[name] = value;
        }
    }
}
