using System.Diagnostics;

namespace Polydev.Testing;

/// <summary>A command line tool run to its end, as the tests use <c>docker</c>, <c>curl</c> or <c>iptables</c>.</summary>
public static class ChildProcess
{
    public sealed record Result(int ExitCode, string Output, string Errors);

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> (never through a shell) and collects both streams.</summary>
    public static async Task<Result> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Result(process.ExitCode, await output, await errors);
    }
}
