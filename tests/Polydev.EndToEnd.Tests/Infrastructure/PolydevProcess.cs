using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Starts the real <c>polydev</c> binary that the project reference builds next to this test assembly. Every child
/// gets a clean environment: no POLYDEV_* variable leaks in from the developer's shell or from scripts/test.
/// </summary>
public static class PolydevProcess
{
    private static readonly string Directory = AppContext.BaseDirectory;

    /// <param name="runAs">A command that runs polydev (its path the first argument after these), e.g. <c>setpriv</c> with another user.</param>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, IReadOnlyList<string>? runAs = null)
    {
        var appHost = Path.Combine(Directory, OperatingSystem.IsWindows() ? "polydev.exe" : "polydev");
        var dll = Path.Combine(Directory, "polydev.dll");
        ProcessStartInfo info;
        if (runAs is { Count: > 0 })
        {
            info = new ProcessStartInfo(runAs[0]);
            foreach (var argument in runAs.Skip(1))
            {
                info.ArgumentList.Add(argument);
            }

            info.ArgumentList.Add(File.Exists(appHost) ? appHost : throw new InvalidOperationException($"No polydev app host in {Directory} to run as another user."));
        }
        else if (File.Exists(appHost))
        {
            info = new ProcessStartInfo(appHost);
        }
        else if (File.Exists(dll))
        {
            info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
            info.ArgumentList.Add(dll);
        }
        else
        {
            throw new InvalidOperationException($"No polydev binary in {Directory}; build tests/Polydev.EndToEnd.Tests first.");
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.WorkingDirectory = Path.GetTempPath();
        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("POLYDEV_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>Asks a process to stop the way systemd would (SIGTERM), so it flushes its logs; kills it if it does not.</summary>
    public static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        if (!OperatingSystem.IsWindows())
        {
            _ = Kill(process.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                return;
            }
            catch (OperationCanceledException)
            {
            }
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public const int SigKill = 9;

    /// <summary>Sends <paramref name="signal"/> to one process; fails the test if it cannot be delivered.</summary>
    public static void Signal(int pid, int signal) =>
        Assert.True(Kill(pid, signal) == 0, $"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}.");

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
