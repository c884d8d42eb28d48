using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Polydev.Server.Login.Turn;

/// <summary>
/// One run of coturn: <c>turnserver -c &lt;config&gt;</c> (the secret is in the file, never in the arguments or the
/// environment), its output handed on line by line, stopped with SIGTERM and, failing that, SIGKILL.
/// </summary>
internal sealed class TurnServerProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;

    private TurnServerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static TurnServerProcess Start(string binary, string configFile, Action<string> output)
    {
        var start = new ProcessStartInfo(binary)
        {
            ArgumentList = { "-c", configFile },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(configFile)!,
        };

        // The server's environment holds its secrets (database password, upstream proxy, this very secret when given by
        // variable); coturn needs none of it, and a process's environment is readable by its own account.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Forward(e.Data, output);
        process.ErrorDataReceived += (_, e) => Forward(e.Data, output);
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"{binary} did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new TurnServerProcess(process);
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>SIGTERM, then SIGKILL when coturn has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Stops a coturn an earlier run of the server left behind (it crashed, or was killed, before stopping its child):
    /// the pid file's process, if it still runs coturn with this very config. It would otherwise share the listening
    /// port with the new one (coturn binds with SO_REUSEPORT) and answer with an old secret. Returns its pid, or null.
    /// </summary>
    public static async Task<int?> StopLeftoverAsync(TurnFiles files, TimeSpan grace)
    {
        if (!File.Exists(files.PidFile) || !int.TryParse(File.ReadAllText(files.PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        string commandLine;
        try
        {
            commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var arguments = commandLine.Split('\0');
        if (!arguments[0].EndsWith("turnserver", StringComparison.Ordinal) || !arguments.Contains(files.ConfigFile))
        {
            return null;
        }

        _ = Kill(pid, SigTerm);
        var deadline = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{pid}") && deadline.Elapsed < grace)
        {
            await Task.Delay(50);
        }

        _ = Kill(pid, SigKill);
        return pid;
    }

    public void Dispose() => _process.Dispose();

    private static void Forward(string? line, Action<string> output)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        // coturn starts each line with its uptime and an empty session field ("12: : "); the log line has its own time.
        var marker = line.IndexOf(": : ", StringComparison.Ordinal);
        output(marker >= 0 && line[..marker].All(char.IsAsciiDigit) ? line[(marker + 4)..] : line);
    }

    // DllImport, not LibraryImport: the generated stub needs unsafe code, which this project does not allow.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
