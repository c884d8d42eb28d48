using System.Diagnostics;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>scripts/deploy run against a <see cref="DeployTarget"/>, as an operator runs it: SSH to root on the host's port.</summary>
public static class DeployScript
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    public sealed record Result(int ExitCode, string Output)
    {
        /// <summary>The script's last line: its one-line verdict.</summary>
        public string LastLine => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];

        public Result Succeeded()
        {
            Assert.True(ExitCode == 0, $"scripts/deploy exited {ExitCode}:\n{Output}");
            return this;
        }
    }

    /// <param name="environment">More variables: DEPLOY_KILL_AT, DEPLOY_HEALTH_TIMEOUT, …</param>
    public static async Task<Result> RunAsync(DeployTarget target, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(PinnedClis.RepositoryRoot(), "scripts", "deploy"));
        foreach (var argument in arguments.Append("127.0.0.1"))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DEPLOY_SSH_PORT"] = target.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DEPLOY_SSH_IDENTITY"] = target.Identity;
        start.Environment["DEPLOY_SSH_KNOWN_HOSTS"] = target.KnownHosts;
        // What a killed script leaves in its temporary folder (the SSH control socket) stays in the test's folder.
        start.Environment["TMPDIR"] = target.Directory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        // One stream, in order: the progress lines are on stderr, nothing else is printed.
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"scripts/deploy {string.Join(' ', arguments)} did not finish within {Timeout.TotalMinutes} min:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return new Result(process.ExitCode, output.ToString());
        }
    }
}
