using System.Diagnostics;

namespace Polydev.Server.Tests.Egress;

/// <summary>Runs the real <c>curl</c> with no proxy settings from the environment; scripts/test installs it.</summary>
public static class Curl
{
    public sealed record Result(int ExitCode, string Output, string Errors)
    {
        public override string ToString() => $"curl exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Errors}";
    }

    public static async Task<Result> RunAsync(params string[] arguments)
    {
        var executable = File.Exists("/usr/bin/curl") ? "/usr/bin/curl" : "curl";
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in new[] { "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy" })
        {
            start.Environment.Remove(name);
        }

        foreach (var argument in new[] { "--silent", "--show-error", "--max-time", "30" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("curl did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("curl is not installed; scripts/test installs it (apt-get install curl).", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return new Result(process.ExitCode, await output, await errors);
        }
    }
}
