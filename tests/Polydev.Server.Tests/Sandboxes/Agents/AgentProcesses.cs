using System.Diagnostics;
using System.IO.Pipelines;
using Polydev.Agent;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes.Agents;

/// <summary>The real agent (<see cref="AgentProgram.MainAsync"/>) in this process, its three streams in-memory pipes.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class InProcessAgent : SandboxProcess
{
    private readonly Pipe _stdin = new();
    private readonly Pipe _stdout = new();
    private readonly Pipe _stderr = new();
    private readonly Task<int> _run;

    public InProcessAgent(params string[] args)
    {
        _run = Task.Run(async () =>
        {
            var stderr = new StreamWriter(_stderr.Writer.AsStream()) { AutoFlush = true };
            try
            {
                return await AgentProgram.MainAsync(args, _stdin.Reader.AsStream(), _stdout.Writer.AsStream(), stderr);
            }
            finally
            {
                await _stdout.Writer.CompleteAsync();
                await _stderr.Writer.CompleteAsync();
            }
        });
    }

    public override Stream Stdin => _stdin.Writer.AsStream();

    public override Stream Stdout => _stdout.Reader.AsStream();

    public override Stream Stderr => _stderr.Reader.AsStream();

    public override Task OutputCompletion => _run;

    public override async ValueTask CloseStdinAsync() => await _stdin.Writer.CompleteAsync();

    public override Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => _run.WaitAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await _stdin.Writer.CompleteAsync();
        await _stdout.Reader.CompleteAsync();
        await _stderr.Reader.CompleteAsync();
    }
}

/// <summary>The real agent as a process (<c>dotnet polydev-agent.dll</c>), for what only a process can do: crash, stop.</summary>
internal sealed class AgentProcess : SandboxProcess
{
    private readonly Process _process;
    private int _disposed;

    public AgentProcess(IDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "polydev-agent.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start)!;
    }

    public int Id => _process.Id;

    public override Stream Stdin => _process.StandardInput.BaseStream;

    public override Stream Stdout => _process.StandardOutput.BaseStream;

    public override Stream Stderr => _process.StandardError.BaseStream;

    public override Task OutputCompletion => _process.WaitForExitAsync();

    public override ValueTask CloseStdinAsync()
    {
        _process.StandardInput.Close();
        return ValueTask.CompletedTask;
    }

    public override async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    public override ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
