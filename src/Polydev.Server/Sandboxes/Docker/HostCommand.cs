using System.Diagnostics;

namespace Polydev.Server.Sandboxes.Docker;

/// <summary>
/// A command the server runs on the sandbox host for what the Engine API does not do (iptables rules, entering a
/// sandbox's network namespace): arguments as a list (never a shell line), output captured, the exit code returned.
/// </summary>
internal static class HostCommand
{
    public static async Task<(int Exit, string Error)> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new SandboxEngineException("docker", "host command", 500, $"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await stdout;
        return (process.ExitCode, await stderr);
    }
}
