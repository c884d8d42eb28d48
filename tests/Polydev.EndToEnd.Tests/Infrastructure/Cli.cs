using System.Diagnostics;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One user's machine: a private POLYDEV_HOME, the server to talk to, and whatever secrets the test hands over
/// through the environment (never arguments), exactly as a shell user would.
/// </summary>
public sealed class Cli : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public Cli(string server)
    {
        Server = server;
        Home = Directory.CreateTempSubdirectory("polydev-e2e-home-").FullName;
    }

    public string Server { get; set; }

    public string Home { get; }

    public string StatePath => Path.Combine(Home, "state.json");

    /// <summary>POLYDEV_SESSION for every run, as if exported in the shell; null leaves it unset.</summary>
    public string? Session { get; set; }

    /// <summary>Runs <c>polydev</c> with stdin closed after <paramref name="stdin"/> (empty: no input, and no terminal).</summary>
    public async Task<CliResult> RunAsync(string[] arguments, string stdin = "", IReadOnlyDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?>
        {
            ["POLYDEV_HOME"] = Home,
            ["POLYDEV_SERVER"] = Server,
        };
        if (Session is not null)
        {
            env["POLYDEV_SESSION"] = Session;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            env[name] = value;
        }

        using var process = Process.Start(PolydevProcess.StartInfo(arguments, env))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();

        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"polydev {string.Join(' ', arguments)} did not finish within {Timeout.TotalSeconds} s.");
        }

        return new CliResult(arguments, process.ExitCode, await stdout, await stderr);
    }

    public Task<CliResult> RunAsync(params string[] arguments) => RunAsync(arguments, "", null);

    /// <summary>Runs with POLYDEV_PASSWORD set.</summary>
    public Task<CliResult> RunWithPasswordAsync(string password, params string[] arguments) =>
        RunAsync(arguments, "", new Dictionary<string, string?> { ["POLYDEV_PASSWORD"] = password });

    /// <summary>Signs up with <c>--json</c>, keeps the session for later runs, and returns the JSON result.</summary>
    public async Task<System.Text.Json.JsonElement> SignupAsync(string email, string password)
    {
        var result = (await RunWithPasswordAsync(password, "signup", "--email", email, "--json")).Succeeded();
        var json = result.Json();
        Session = json.GetProperty("session").GetString();
        return json;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
