using System.Collections.Concurrent;
using Polydev.Server.Accounts;
using Polydev.Server.Egress.Proxy;

namespace Polydev.Server.Egress;

/// <summary>
/// Keeps the proxy's listeners in step with <c>user_proxy_ports</c>: every allocated port is
/// open from start to shutdown, a newly allocated one opens at once, a deleted account's closes.
/// Also writes the bytes each user moved to the database every half minute and at shutdown.
/// </summary>
public sealed partial class EgressService(
    PortRegistry ports,
    EgressProxy proxy,
    EgressTokenStore tokens,
    EgressTokenAuthenticator authenticator,
    TimeProvider clock,
    ILogger<EgressService> logger) : BackgroundService, IAccountObserver
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(30);

    /// <summary>Of the proxy's per-user totals since start, what is already added to the database.</summary>
    private readonly ConcurrentDictionary<Guid, EgressUsage> _flushed = new();

    /// <summary>Taken from the proxy but not yet written (a failed write is retried at the next flush).</summary>
    private readonly Dictionary<Guid, EgressUsage> _unwritten = [];
    private readonly SemaphoreSlim _flushGate = new(1, 1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var all = await ports.ListAsync(cancellationToken);
        var failed = 0;
        foreach (var port in all)
        {
            try
            {
                await proxy.OpenAsync(Guid.Parse(port.UserId), port.Port, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed++;
                LogOpenFailed(logger, e, port.Port);
            }
        }

        LogListening(logger, all.Count - failed, all.Count);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await proxy.ShutdownAsync(cancellationToken);
        await FlushAsync(CancellationToken.None);
    }

    /// <summary>
    /// The user's port, allocated on first need and listening when this returns. A newly allocated port that another
    /// program on this host holds is given back and the next free one tried; the user's own port, once theirs, is
    /// never moved (it is their egress identity), so when it is held the answer is an error that says so.
    /// </summary>
    /// <exception cref="EgressPortUnavailableException">No port could be opened for the user; the message says why.</exception>
    public async Task<UserProxyPort> EnsurePortAsync(Guid userId, CancellationToken cancellationToken)
    {
        var heldElsewhere = new HashSet<int>();
        while (true)
        {
            var (port, allocated) = await ports.GetOrAllocateAsync(userId, heldElsewhere, cancellationToken);
            if (!allocated && proxy.OpenPorts.Contains(port.Port))
            {
                return port;
            }

            try
            {
                await proxy.OpenAsync(userId, port.Port, cancellationToken);
            }
            catch (PortInUseException) when (allocated)
            {
                LogHeldElsewhere(logger, port.Port);
                heldElsewhere.Add(port.Port);
                await ports.ReleaseAsync(userId, port.Port, cancellationToken);
                continue;
            }
            catch (PortInUseException e)
            {
                throw new EgressPortInUseException(port.Port, e);
            }

            if (allocated)
            {
                LogAllocated(logger, port.Port);
            }

            return port;
        }
    }

    /// <summary>Stored totals plus what the proxy counted since the last flush.</summary>
    public EgressUsage CurrentUsage(Guid userId, UserProxyPort stored)
    {
        var live = proxy.GetUsage(userId);
        var flushed = _flushed.GetValueOrDefault(userId);
        return new EgressUsage(
            stored.BytesUp + live.BytesUp - flushed.BytesUp,
            stored.BytesDown + live.BytesDown - flushed.BytesDown,
            live.ActiveTunnels);
    }

    public async Task AccountDeletedAsync(Guid userId, CancellationToken cancellationToken)
    {
        await proxy.CloseAsync(userId, cancellationToken);
        authenticator.ForgetUser(userId);
        _flushed.TryRemove(userId, out _);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, clock);
        var ticks = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
                if (++ticks % 120 == 0)
                {
                    await tokens.PurgeExpiredAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            foreach (var (userId, delta) in proxy.TakeUsageDeltas())
            {
                _unwritten[userId] = Add(_unwritten.GetValueOrDefault(userId), delta);
            }

            await ports.AddUsageAsync(_unwritten, cancellationToken);
            foreach (var (userId, delta) in _unwritten)
            {
                _flushed.AddOrUpdate(userId, delta, (_, total) => Add(total, delta));
            }

            _unwritten.Clear();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFlushFailed(logger, e);
        }
        finally
        {
            _flushGate.Release();
        }
    }

    private static EgressUsage Add(EgressUsage a, EgressUsage b) => new(a.BytesUp + b.BytesUp, a.BytesDown + b.BytesDown, 0);

    [LoggerMessage(Level = LogLevel.Information, Message = "Egress listening on {Open} of {Allocated} allocated ports")]
    private static partial void LogListening(ILogger logger, int open, int allocated);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Egress port {Port} is held by another program on this host; passing it over")]
    private static partial void LogHeldElsewhere(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Egress port {Port} allocated")]
    private static partial void LogAllocated(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "Egress port {Port} could not be opened")]
    private static partial void LogOpenFailed(ILogger logger, Exception exception, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Egress usage could not be written; it is kept for the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
