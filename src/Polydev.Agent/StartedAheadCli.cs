using System.ComponentModel;
using System.Diagnostics;

namespace Polydev.Agent;

/// <summary>
/// The provider's CLI started while the warm sandbox waits for its job (<c>serve --start-ahead PROVIDER</c>), so that
/// the seconds a CLI spends starting up are spent before the user asks, not after. It holds nothing of any job: no
/// credential, no prompt, no proxy token; the job hands it those on stdin (<see cref="StartAheadProtocol"/>). Used by
/// the one job of this sandbox or by none, never shared: the sandbox is destroyed after its job.
/// </summary>
internal sealed class StartedAheadCli : IDisposable
{
    private readonly ProviderSpec _spec;
    private Process? _process;

    private StartedAheadCli(ProviderSpec spec, Process process)
    {
        _spec = spec;
        _process = process;
    }

    /// <summary>
    /// Starts <paramref name="provider"/>'s CLI ahead; null when it cannot be (no start-ahead protocol, or an executable
    /// the agent's environment substitutes, whose protocol is unknown: it is started per job as before).
    /// </summary>
    public static StartedAheadCli? Start(string provider, TextWriter stderr)
    {
        if (ProviderSpec.Find(provider) is not { StartAhead: { } protocol } spec || CliStart.Override(spec) is not null)
        {
            return null;
        }

        try
        {
            Process process = Process.Start(CliStart.For(spec, protocol.Arguments)) ?? throw new Win32Exception();
            return new StartedAheadCli(spec, process);
        }
        catch (Win32Exception)
        {
            stderr.WriteLine($"polydev-agent: the {spec.Name} CLI could not be started ahead; the job will start it.");
            return null;
        }
    }

    /// <summary>The process, for a job of <paramref name="spec"/>, if it is still waiting; null otherwise (and then it is gone).</summary>
    public Process? TakeFor(ProviderSpec spec)
    {
        Process? process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return null;
        }

        if (spec == _spec && !process.HasExited)
        {
            return process;
        }

        Kill(process);
        return null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _process, null) is { } process)
        {
            Kill(process);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }

        process.Dispose();
    }
}
