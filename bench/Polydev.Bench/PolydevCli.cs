using System.Diagnostics;
using System.Text.Json;

namespace Polydev.Bench;

/// <summary>
/// The real <c>polydev</c> client (src/Polydev's Release build, which scripts/bench makes), as a user runs it: its own POLYDEV_HOME, the server's
/// URL, and after sign-up the POLYDEV_SESSION that opens the cached keys. Secrets go through the environment or
/// stdin, never arguments.
/// </summary>
internal sealed class PolydevCli(string server) : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("polydev-bench-home-").FullName;
    private string? _session;

    public async Task SignUpAsync(string email, string password)
    {
        var output = await RunAsync(["signup", "--email", email, "--json"], "", new() { ["POLYDEV_PASSWORD"] = password });
        using var json = JsonDocument.Parse(output);
        _session = json.RootElement.GetProperty("session").GetString();
    }

    /// <summary>Runs a verb to its end; a non-zero exit is an exception with its stderr.</summary>
    public async Task<string> RunAsync(string[] arguments, string stdin, Dictionary<string, string?>? environment = null)
    {
        using var process = Start(arguments, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"polydev {arguments[0]} exited {process.ExitCode}: {await stderr}");
    }

    /// <summary>Milliseconds from starting the process to the first character it prints on stdout.</summary>
    public async Task<double> TimeToFirstCharacterAsync(string[] arguments)
    {
        var started = Stopwatch.GetTimestamp();
        using var process = Start(arguments, null);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var first = new char[1];
        var read = await process.StandardOutput.ReadAsync(first.AsMemory());
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return read == 1 && process.ExitCode == 0
            ? elapsed
            : throw new InvalidOperationException($"polydev {arguments[0]} exited {process.ExitCode}: {await stderr}");
    }

    /// <summary>
    /// How to start the client with <paramref name="arguments"/>: the command, its arguments, and its environment as
    /// changes to this process's (every inherited <c>POLYDEV_</c> variable removed, as null; the user's home, the
    /// server and the session set; then <paramref name="environment"/>). The MCP bench hands these to the SDK's
    /// stdio transport, which reads null as "remove".
    /// </summary>
    public (string Command, IList<string> Arguments, Dictionary<string, string?> Environment) Invocation(string[] arguments, Dictionary<string, string?>? environment = null)
    {
        var dll = Path.Combine(Repository.Root, "src", "Polydev", "bin", "Release", "net10.0", "polydev.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: scripts/bench --only web (or mcp) builds src/Polydev first.");
        }

        var variables = System.Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("POLYDEV_", StringComparison.Ordinal))
            .ToDictionary(k => k, string? (_) => null, StringComparer.Ordinal);
        variables["POLYDEV_HOME"] = _home;
        variables["POLYDEV_SERVER"] = server;
        if (_session is not null)
        {
            variables["POLYDEV_SESSION"] = _session;
        }

        foreach (var (name, value) in environment ?? [])
        {
            variables[name] = value;
        }

        return ("dotnet", [dll, .. arguments], variables);
    }

    private Process Start(string[] arguments, Dictionary<string, string?>? environment)
    {
        var (command, commandArguments, variables) = Invocation(arguments, environment);
        var info = new ProcessStartInfo(command);
        foreach (var argument in commandArguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        foreach (var (name, value) in variables)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        return Process.Start(info)!;
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
