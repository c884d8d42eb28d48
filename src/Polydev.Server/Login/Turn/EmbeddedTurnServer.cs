using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Login.Turn;

/// <summary>
/// With <c>Login:Turn:Mode</c> <c>embedded</c>, runs coturn as the server's child: writes its config (0600) into
/// <c>&lt;Data&gt;/turn</c>, starts <c>turnserver -c</c> on it, starts it again when it exits (waiting longer after each
/// quick failure), and stops it when the server stops. Without coturn installed it logs one warning and does nothing:
/// the server runs, and login sessions use the fallback.
/// </summary>
public sealed class EmbeddedTurnServer(
    IOptions<TurnOptions> options,
    TurnFiles files,
    Lazy<TurnSecret> secret,
    TurnMetrics metrics,
    TimeProvider clock,
    ILogger<EmbeddedTurnServer> logger) : BackgroundService
{
    /// <summary>A run this long was healthy: the next restart waits the shortest time again.</summary>
    private static readonly TimeSpan StableRun = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ListenWait = TimeSpan.FromSeconds(30);

    private readonly TurnOptions _options = options.Value;
    private int? _pid;
    private bool _portBusyReported;

    /// <summary>The running coturn's process id, or null between runs.</summary>
    public int? ProcessId => _pid;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.ServerUp.Set(0);
        metrics.ServerMissing.Set(0);
        if (!_options.IsEmbedded)
        {
            return;
        }

        var binary = _options.ResolveBinary();
        if (binary is null)
        {
            metrics.ServerMissing.Set(1);
            TurnLog.Missing(logger, _options.Binary);
            return;
        }

        var backoff = FirstBackoff;
        while (!stoppingToken.IsCancellationRequested)
        {
            var ranFor = await RunOnceAsync(binary, stoppingToken);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            backoff = ranFor >= StableRun ? FirstBackoff : backoff;
            TurnLog.Restarting(logger, backoff.TotalSeconds);
            try
            {
                await Task.Delay(backoff, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            metrics.Restarts.Inc();
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>One coturn from start to exit (or to the server's stop); returns how long it ran.</summary>
    private async Task<TimeSpan> RunOnceAsync(string binary, CancellationToken stoppingToken)
    {
        TurnServerProcess process;
        try
        {
            files.EnsureDirectory();
            TurnFiles.WritePrivate(files.ConfigFile, TurnServerConfig.Render(_options, secret.Value, new TurnServerRuntime(files, ProcessUser())));
            if (await TurnServerProcess.StopLeftoverAsync(files, StopGrace) is { } leftover)
            {
                TurnLog.LeftoverStopped(logger, leftover);
            }

            if (TurnServerProbe.BusyEndpoint(_options) is { } busy)
            {
                // Once per spell: the retries go on every 30 s for as long as the other process holds the port.
                if (!_portBusyReported)
                {
                    TurnLog.PortBusy(logger, busy);
                    _portBusyReported = true;
                }

                return TimeSpan.Zero;
            }

            _portBusyReported = false;
            process = TurnServerProcess.Start(binary, files.ConfigFile, Output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            TurnLog.StartFailed(logger, e.Message);
            return TimeSpan.Zero;
        }

        using (process)
        {
            var started = clock.GetTimestamp();
            try
            {
                await Task.WhenAll(WatchStartAsync(process, stoppingToken), process.WaitForExitAsync(stoppingToken));
                var ranFor = clock.GetElapsedTime(started);
                TurnLog.Exited(logger, _pid ?? 0, process.ExitCode, ranFor.TotalSeconds);
                return ranFor;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await process.StopAsync(StopGrace);
                TurnLog.Stopped(logger, _pid ?? 0);
                return clock.GetElapsedTime(started);
            }
            finally
            {
                metrics.ServerUp.Set(0);
                _pid = null;
            }
        }
    }

    /// <summary>Learns coturn's pid, then marks the server up once it accepts connections (with a warning if it never does).</summary>
    private async Task WatchStartAsync(TurnServerProcess process, CancellationToken stoppingToken)
    {
        await Task.WhenAny(process.CoturnId, process.WaitForExitAsync(stoppingToken));
        if (!process.CoturnId.IsCompletedSuccessfully)
        {
            return;
        }

        var pid = process.CoturnId.Result;
        _pid = pid;
        TurnLog.Started(logger, pid, _options.ListeningPort, _options.RelayAddress, _options.MinRelayPort, _options.MaxRelayPort);
        var endpoint = TurnServerProbe.Endpoint(_options);
        var waited = Stopwatch.StartNew();
        while (!process.HasExited)
        {
            if (await TurnServerProbe.AcceptsAsync(endpoint, stoppingToken))
            {
                if (!process.HasExited)
                {
                    metrics.ServerUp.Set(1);
                    TurnLog.Listening(logger, pid, endpoint.ToString(), waited.Elapsed.TotalMilliseconds);
                }

                return;
            }

            if (waited.Elapsed > ListenWait)
            {
                TurnLog.NotListening(logger, pid, endpoint.ToString(), waited.Elapsed.TotalSeconds);
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
        }
    }

    /// <summary>The account coturn drops to: only a root server drops, and only to an account this host has.</summary>
    private string? ProcessUser()
    {
        if (!Environment.IsPrivilegedProcess || string.IsNullOrEmpty(_options.ProcessUser) || !File.Exists("/etc/passwd"))
        {
            return null;
        }

        return File.ReadLines("/etc/passwd").Any(line => line.StartsWith(_options.ProcessUser + ":", StringComparison.Ordinal)) ? _options.ProcessUser : null;
    }

    private void Output(string line)
    {
        if (TurnAllocationLine.Outcome(line) is { } outcome)
        {
            metrics.Allocations.WithLabels(outcome).Inc();
        }

        // coturn does not print its secret, but its output is not ours to vouch for.
        var text = line.Replace(secret.Value.Text, SecretRedactor.Redacted, StringComparison.Ordinal);
        TurnLog.Output(logger, line.Contains("ERROR", StringComparison.Ordinal) ? LogLevel.Warning : LogLevel.Debug, text);
    }
}
