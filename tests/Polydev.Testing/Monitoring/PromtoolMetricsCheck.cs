using System.Diagnostics;

namespace Polydev.Testing.Monitoring;

/// <summary><c>promtool check metrics</c> on a live <c>/metrics</c>: Prometheus's own lint of names, types, units and help.</summary>
public static class PromtoolMetricsCheck
{
    /// <returns>promtool's complaints, one per line; empty when it accepts every series.</returns>
    public static async Task<IReadOnlyList<string>> RunAsync(string exposition)
    {
        var start = new ProcessStartInfo(MonitoringFiles.Tool("promtool"))
        {
            ArgumentList = { "check", "metrics" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        var complaints = ((await output) + (await errors)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (process.ExitCode != 0 && complaints.Count == 0)
        {
            complaints.Add($"promtool check metrics exited with {process.ExitCode} and said nothing");
        }

        return complaints;
    }
}
