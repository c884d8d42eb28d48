using System.ComponentModel;
using System.Diagnostics;
using Polydev.Agent.Timing;

namespace Polydev.Agent;

/// <summary>
/// The provider's CLI started while the warm sandbox waits for its job (<c>serve --start-ahead PROVIDER</c>), so that
/// the seconds a CLI spends starting up are spent before the user asks, not after. It holds nothing of any job: no
/// credential, no prompt, no proxy token, no model; the job hands it those (<see cref="IStartAheadDriver"/>). Used by
/// the one job of this sandbox or by none, never shared: the sandbox is destroyed after its job.
/// </summary>
internal sealed class StartedAheadCli : IAsyncDisposable
{
    /// <summary>
    /// The agent's variable naming, as PEM, the certificate authorities a CLI started ahead trusts besides the system's
    /// (set per runtime kind by the operator: a company gateway's CA, a test stub's). A CLI that reads its CAs only at
    /// start (Gemini CLI) serves a job with another CA by a fresh start.
    /// </summary>
    public const string TrustedCaVariable = "POLYDEV_AGENT_START_AHEAD_CA";

    private readonly ProviderSpec _spec;
    private readonly StartAheadSetup _setup;
    private readonly Task _ready;
    private readonly CancellationTokenSource _stop = new();
    private Process? _process;
    private EgressTap? _relay;

    private StartedAheadCli(ProviderSpec spec, StartAheadSetup setup, Process process, EgressTap? relay)
    {
        _spec = spec;
        _setup = setup;
        _process = process;
        _relay = relay;
        _ready = spec.StartAhead!.ReadyAsync(process, _stop.Token);
        // Observed here; a job awaits it again.
        _ready.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>
    /// Starts <paramref name="provider"/>'s CLI ahead; null when it cannot be (no start-ahead driver, or an executable
    /// the agent's environment substitutes, whose protocol is unknown: it is started per job as before).
    /// </summary>
    public static StartedAheadCli? Start(string provider, TextWriter stderr)
    {
        if (ProviderSpec.Find(provider) is not { StartAhead: { } driver } spec || CliStart.Override(spec) is not null)
        {
            return null;
        }

        EgressTap? relay = driver.NeedsRelay ? EgressTap.Listen() : null;
        try
        {
            StartAheadSetup setup = Setup(relay);
            ProcessStartInfo start = CliStart.For(spec, driver.Arguments);
            driver.Prepare(start, setup);
            Process process = Process.Start(start) ?? throw new Win32Exception();
            return new StartedAheadCli(spec, setup, process, relay);
        }
        catch (Exception e) when (e is Win32Exception or IOException or UnauthorizedAccessException or FormatException)
        {
            stderr.WriteLine($"polydev-agent: the {spec.Name} CLI could not be started ahead ({e.GetType().Name}); the job will start it.");
            relay?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return null;
        }
    }

    private static StartAheadSetup Setup(EgressTap? relay)
    {
        string home = AgentProgram.Home;
        if (Environment.GetEnvironmentVariable(TrustedCaVariable) is not { Length: > 0 } pem)
        {
            return new StartAheadSetup(home, relay?.LoopbackUrl, null, []);
        }

        string file = Path.Combine(home, ".polydev-agent", "start-ahead-ca.pem");
        JobRunner.WritePrivateFile(file, pem);
        return new StartAheadSetup(home, relay?.LoopbackUrl, file, GeminiStartAhead.Certificates(pem));
    }

    /// <summary>
    /// The CLI for <paramref name="job"/>, if it is still there and can serve it; null otherwise (and then it is gone,
    /// and the job starts its own).
    /// </summary>
    public StartedAheadHandover? TakeFor(Job job, ProviderSpec spec)
    {
        Process? process = Interlocked.Exchange(ref _process, null);
        EgressTap? relay = Interlocked.Exchange(ref _relay, null);
        if (process is null)
        {
            return null;
        }

        if (spec == _spec && !process.HasExited && !_ready.IsFaulted && _spec.StartAhead!.CannotTake(job, _setup) is null)
        {
            return new StartedAheadHandover(process, _ready, relay, _spec.StartAhead, _setup);
        }

        Kill(process);
        relay?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (Interlocked.Exchange(ref _process, null) is { } process)
        {
            Kill(process);
        }

        if (Interlocked.Exchange(ref _relay, null) is { } relay)
        {
            await relay.DisposeAsync();
        }

        _stop.Dispose();
    }

    public static void Kill(Process process)
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

/// <summary>A CLI started ahead, taken by its job.</summary>
/// <param name="Ready">Completes when the CLI has finished starting (<see cref="IStartAheadDriver.ReadyAsync"/>).</param>
/// <param name="Relay">The relay the CLI was pointed at, which the job tells where to forward; null when the driver needs none.</param>
internal sealed record StartedAheadHandover(Process Process, Task Ready, EgressTap? Relay, IStartAheadDriver Driver, StartAheadSetup Setup);
