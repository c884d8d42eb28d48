using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Polydev.Server.Login.Turn;

/// <summary>
/// One run of coturn, <c>turnserver -c &lt;config&gt;</c> (the secret is in the file, never in the arguments or the
/// environment), under a small shell that stops it when the server goes: its output handed on line by line.
/// </summary>
internal sealed class TurnServerProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private const string PidLine = "polydev-coturn-pid ";

    /// <summary>
    /// Runs coturn (<c>"$@"</c>) beside a watcher holding the read end of the shell's stdin, whose write end only the
    /// server holds. When it closes — the server stopping coturn, or the server killed without stopping anything
    /// (SIGKILL, the OOM killer) — the watcher sends coturn SIGTERM. Without it an orphaned coturn would keep the port,
    /// and the old secret, until someone noticed. A parent-death signal would not do: it is cleared when coturn drops
    /// root. The shell exits with coturn's status, after printing coturn's pid.
    /// </summary>
    private const string Supervisor = """
        exec 3<&0 </dev/null
        "$@" 3<&- &
        coturn=$!
        echo "polydev-coturn-pid $coturn"
        (read -r _ <&3; kill -TERM "$coturn" 2>/dev/null) &
        watcher=$!
        exec 3<&-
        wait "$coturn"
        status=$?
        kill "$watcher" 2>/dev/null
        exit "$status"
        """;

    private readonly Process _process;
    private readonly TaskCompletionSource<int> _coturnPid = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TurnServerProcess(Process process) => _process = process;

    /// <summary>coturn's own pid (not the shell's), once the shell has printed it.</summary>
    public Task<int> CoturnId => _coturnPid.Task;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static TurnServerProcess Start(string binary, string configFile, Action<string> output)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", Supervisor, "polydev-turn", binary, "-c", configFile },
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
        var run = new TurnServerProcess(process);
        process.OutputDataReceived += (_, e) => run.Forward(e.Data, output);
        process.ErrorDataReceived += (_, e) => run.Forward(e.Data, output);
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException($"{binary} did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Closes the watcher's pipe (coturn gets SIGTERM), then kills what is left after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Stops a coturn an earlier run of the server left behind (one it could not stop, e.g. a SIGKILL between starting
    /// the shell and coturn): the pid file's process, if it still runs <c>turnserver</c> with this very config. It would
    /// otherwise share the listening port with the new one (coturn binds with SO_REUSEPORT) and answer with an old
    /// secret. Returns its pid, or null.
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

    private void Forward(string? line, Action<string> output)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        if (line.StartsWith(PidLine, StringComparison.Ordinal) && int.TryParse(line[PidLine.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            _coturnPid.TrySetResult(pid);
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
