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

    private Process Start(string[] arguments, Dictionary<string, string?>? environment)
    {
        var dll = Path.Combine(Repository.Root, "src", "Polydev", "bin", "Release", "net10.0", "polydev.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: scripts/bench --only web builds src/Polydev first.");
        }

        var info = new ProcessStartInfo("dotnet") { ArgumentList = { dll } };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("POLYDEV_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["POLYDEV_HOME"] = _home;
        info.Environment["POLYDEV_SERVER"] = server;
        if (_session is not null)
        {
            info.Environment["POLYDEV_SESSION"] = _session;
        }

        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
