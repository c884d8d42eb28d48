using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polydev.Agent.Protocol;
using Polydev.Contracts.Executions;
using Polydev.Crypto;
using Polydev.Server.Egress;
using Polydev.Server.Pools;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Agents;
using Polydev.Server.Storage;

namespace Polydev.Server.Executions;

/// <summary>
/// Runs executions blind: allocates a sandbox, hands the client its public key and a proxy token for this
/// execution alone, passes the sealed job to the sandbox agent without opening it, and relays the encrypted
/// output — storing each frame and serving it live — until the agent's final frame. It enforces the server's
/// limits (run time, output size, concurrency per user) and ends each execution with a reason it can know
/// without reading the output.
/// </summary>
public sealed class ExecutionService : IHostedService
{
    private readonly ConcurrentDictionary<string, ActiveExecution> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _userLocks = new();
    private readonly PoolManager _pools;
    private readonly ISandboxEngine _engine;
    private readonly ExecutionStore _store;
    private readonly EgressService _egress;
    private readonly EgressTokenStore _tokens;
    private readonly EgressTokenAuthenticator _tokenCache;
    private readonly ExecutionMetrics _metrics;
    private readonly ExecutionsOptions _options;
    private readonly EgressOptions _egressOptions;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    public ExecutionService(
        PoolManager pools,
        ISandboxEngine engine,
        ExecutionStore store,
        EgressService egress,
        EgressTokenStore tokens,
        EgressTokenAuthenticator tokenCache,
        ExecutionMetrics metrics,
        IOptions<ExecutionsOptions> options,
        IOptions<EgressOptions> egressOptions,
        TimeProvider clock,
        ILogger<ExecutionService> logger)
    {
        _pools = pools;
        _engine = engine;
        _store = store;
        _egress = egress;
        _tokens = tokens;
        _tokenCache = tokenCache;
        _metrics = metrics;
        _options = options.Value;
        _egressOptions = egressOptions.Value;
        _clock = clock;
        _logger = logger;
    }

    public ExecutionsOptions Options => _options;

    /// <summary>Before the server takes requests: executions a previous run of this server left allocated or running are failed, their tokens revoked.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var interrupted = await _store.FailInterruptedAsync(_pools.ServerId, cancellationToken);
        foreach (var execution in interrupted)
        {
            await RevokeTokenAsync(Guid.Parse(execution.UserId), execution.EgressTokenId);
            _metrics.Outcomes.WithLabels(execution.Provider, ExecutionStates.Failed, ExecutionReasons.ServerRestart).Inc();
        }

        ExecutionLog.Interrupted(_logger, interrupted.Count);
    }

    /// <summary>Allocates a sandbox for a new execution of <paramref name="provider"/>.</summary>
    public async Task<(ExecutionRecord Record, ExecutionCreatedResponse Response)> CreateAsync(Guid userId, string provider, CancellationToken cancellationToken)
    {
        var userLock = _userLocks.GetOrAdd(userId, _ => new SemaphoreSlim(1, 1));
        await userLock.WaitAsync(cancellationToken);
        try
        {
            if (await _store.CountActiveAsync(userId, cancellationToken) >= _options.MaxConcurrentPerUser)
            {
                _metrics.Refused.WithLabels("concurrency").Inc();
                throw new ExecutionRefusedException(ExecutionRefusal.TooMany,
                    $"You already have {_options.MaxConcurrentPerUser} executions allocated or running, the most this server allows at once; wait for one to finish or cancel one.");
            }

            var port = await _egress.EnsurePortAsync(userId, cancellationToken);
            var id = Guid.CreateVersion7(_clock.GetUtcNow());
            AllocatedSandbox allocated;
            try
            {
                allocated = await _pools.AllocateAsync(provider, id.ToString("D"), cancellationToken);
            }
            catch (SandboxUnavailableException e)
            {
                _metrics.Refused.WithLabels("unavailable").Inc();
                throw new ExecutionRefusedException(ExecutionRefusal.Unavailable, e.Message);
            }

            var lifetime = _options.StartWindow + _options.MaxRunTime + TimeSpan.FromMinutes(1);
            var (token, tokenRecord) = await _tokens.IssueAsync(userId, lifetime, cancellationToken);
            var now = _clock.GetUtcNow();
            var record = new ExecutionRecord
            {
                Id = id.ToString("D"),
                UserId = userId.ToString("D"),
                Provider = provider,
                SandboxId = allocated.Sandbox.Id,
                EgressTokenId = tokenRecord.Id,
                OwnerServer = _pools.ServerId,
                State = ExecutionStates.Allocated,
                Warm = allocated.Warm ? 1 : 0,
                CreatedAt = now.ToUnixTimeMilliseconds(),
            };
            await _store.InsertAsync(record, cancellationToken);

            var active = new ActiveExecution(record, allocated.Sandbox);
            _active[record.Id] = active;
            _metrics.Active.WithLabels(provider).Inc();
            _ = ExpireUnstartedAsync(active);

            var proxyHost = EgressLiveCheck.LocalAddress(_egressOptions.BindAddress);
            var response = new ExecutionCreatedResponse(
                id,
                provider,
                Convert.ToBase64String(allocated.Sandbox.PublicKey),
                $"http://polydev:{token}@{proxyHost}:{port.Port}",
                allocated.Warm,
                now + _options.StartWindow,
                new ExecutionLimitsResponse((int)_options.MaxRunTime.TotalSeconds, _options.MaxOutputBytes));
            ExecutionLog.Created(_logger, record.Id, provider, allocated.Sandbox.Id, allocated.Warm, allocated.Elapsed.TotalMilliseconds);
            return (record, response);
        }
        finally
        {
            userLock.Release();
        }
    }

    /// <summary>Hands the sealed job to the sandbox agent and starts relaying its output.</summary>
    public async Task<ExecutionRecord> StartAsync(Guid userId, Guid id, byte[] sealedJob, CancellationToken cancellationToken)
    {
        var record = await _store.FindAsync(userId, id, cancellationToken)
            ?? throw new ExecutionRefusedException(ExecutionRefusal.NotFound, "No execution with this id.");
        if (record.State != ExecutionStates.Allocated)
        {
            throw new ExecutionRefusedException(ExecutionRefusal.Conflict, $"The execution is {record.State}; only an allocated execution can be started, once.");
        }

        if (!_active.TryGetValue(record.Id, out var active))
        {
            throw new ExecutionRefusedException(ExecutionRefusal.Conflict, "The execution's sandbox is no longer held by this server (it restarted); create a new execution.");
        }

        active.Starting = true;
        if (!await _store.MarkRunningAsync(record.Id, cancellationToken))
        {
            active.Starting = false;
            throw new ExecutionRefusedException(ExecutionRefusal.Conflict, "The execution was started, cancelled or expired at the same moment.");
        }

        active.Started = Stopwatch.GetTimestamp();
        await _pools.MarkExecutingAsync(record.Provider, active.Sandbox.Id, CancellationToken.None);
        active.Runner = Task.Run(() => RunAsync(active, sealedJob), CancellationToken.None);
        return (await _store.FindAsync(userId, id, cancellationToken))!;
    }

    /// <summary>Cancels an allocated or running execution; its sandbox is destroyed.</summary>
    public async Task<ExecutionRecord> CancelAsync(Guid userId, Guid id, CancellationToken cancellationToken)
    {
        var record = await _store.FindAsync(userId, id, cancellationToken)
            ?? throw new ExecutionRefusedException(ExecutionRefusal.NotFound, "No execution with this id.");
        if (ExecutionStates.IsFinished(record.State))
        {
            throw new ExecutionRefusedException(ExecutionRefusal.Conflict, $"The execution already ended ({record.State}).");
        }

        if (_active.TryGetValue(record.Id, out var active))
        {
            if (active.Runner is { } runner)
            {
                // The runner sends the agent a cancel, then destroys the sandbox and records the end.
                active.Stop(ExecutionReasons.Cancelled);
                await runner.WaitAsync(cancellationToken);
            }
            else
            {
                await EndUnstartedAsync(active, ExecutionStates.Cancelled, ExecutionReasons.Cancelled);
            }
        }

        return (await _store.FindAsync(userId, id, cancellationToken))!;
    }

    /// <summary>The live output of an execution this server is running, or null (then the database has it all).</summary>
    public ExecutionOutput? LiveOutput(string id) => _active.TryGetValue(id, out var active) && active.Runner is not null ? active.Output : null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Shutdown: running executions are stopped and failed (reason <c>server_restart</c>); nothing is left allocated.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var runners = new List<Task>();
        foreach (var active in _active.Values)
        {
            if (active.Runner is { } runner)
            {
                active.Stop(ExecutionReasons.ServerRestart);
                runners.Add(runner);
            }
            else
            {
                runners.Add(EndUnstartedAsync(active, ExecutionStates.Failed, ExecutionReasons.ServerRestart));
            }
        }

        await Task.WhenAll(runners).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task RunAsync(ActiveExecution active, byte[] sealedJob)
    {
        var record = active.Record;
        var provider = record.Provider;
        using var deadline = new CancellationTokenSource(_options.MaxRunTime, _clock);
        using var registration = deadline.Token.Register(() => active.Stop(ExecutionReasons.Timeout));
        long outputBytes = 0;
        long next = 0;
        var sawFinal = false;
        string? streamProblem = null;
        var agent = active.Sandbox.Agent;
        try
        {
            // The agent has waited on this channel since the sandbox warmed: the job is one frame away.
            await agent.SendJobAsync(sealedJob, active.Stopping);
            while (!sawFinal && await agent.ReadOutputAsync(active.Stopping) is { } frame)
            {
                if (frame.Sequence != next)
                {
                    streamProblem = $"the agent sent chunk {frame.Sequence} where {next} was due";
                    break;
                }

                outputBytes += frame.Bytes.Length;
                if (outputBytes > _options.MaxOutputBytes)
                {
                    active.Stop(ExecutionReasons.OutputLimit);
                    break;
                }

                await _store.AppendChunkAsync(record.Id, frame.Sequence, frame.Bytes, CancellationToken.None);
                if (next == 0)
                {
                    _metrics.FirstChunk.WithLabels(provider).Observe(Stopwatch.GetElapsedTime(active.Started).TotalSeconds);
                }

                active.Output.Append(frame.Bytes);
                _metrics.OutputBytes.WithLabels(provider).Inc(frame.Bytes.Length);
                next++;
                sawFinal = frame.IsFinal;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SandboxEngineException or IOException or ArgumentOutOfRangeException)
        {
            // ArgumentOutOfRange: a sealed job above the protocol's 16 MiB (Executions:MaxSealedJobBytes set higher).
            streamProblem ??= active.StopReason is null ? e.Message : null;
        }

        // Stopped by the server: the agent kills the CLI and says so (exit reason cancelled) before the sandbox goes.
        var end = active.StopReason is null && streamProblem is null ? await agent.WaitForEndAsync() : await agent.CancelAsync();
        var (state, reason) = await DecideOutcomeAsync(active, sawFinal, end, streamProblem);
        var exitCode = end?.Exit?.ExitStatus;
        await FinishAsync(active, state, reason, exitCode, outputBytes, next);
        if (state != ExecutionStates.Succeeded)
        {
            await agent.StderrDrained(TimeSpan.FromSeconds(1));
            ExecutionLog.AgentStderr(_logger, record.Id, exitCode, agent.Stderr);
        }
    }

    private async Task<(string State, string Reason)> DecideOutcomeAsync(ActiveExecution active, bool sawFinal, AgentEnd? end, string? streamProblem)
    {
        if (active.StopReason is { } stopped)
        {
            return (stopped == ExecutionReasons.Cancelled ? ExecutionStates.Cancelled : ExecutionStates.Failed, stopped);
        }

        var status = await InspectQuietlyAsync(active);

        // A sandbox killed from outside cuts the agent's streams a moment before the engine reports it gone: when
        // the stream broke off, look again before blaming the agent.
        for (var i = 0; i < 10 && !sawFinal && status is { State: SandboxEngineState.Running, OomKilled: false }; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), _clock);
            status = await InspectQuietlyAsync(active);
        }

        if (status is { OomKilled: true })
        {
            return (ExecutionStates.Failed, ExecutionReasons.OutOfMemory);
        }

        if (sawFinal && end?.Exit?.Reason == AgentExitReason.Ok)
        {
            return (ExecutionStates.Succeeded, ExecutionReasons.Completed);
        }

        if (status is null or { State: not SandboxEngineState.Running })
        {
            return (ExecutionStates.Failed, ExecutionReasons.SandboxLost);
        }

        if (end?.Exit?.Reason is AgentExitReason.JobRefused or AgentExitReason.NoKey)
        {
            return (ExecutionStates.Failed, ExecutionReasons.JobRefused);
        }

        ExecutionLog.StreamProblem(_logger, active.Record.Id, streamProblem ?? end?.ToString() ?? "the agent sent no exit frame in time");
        return (ExecutionStates.Failed, ExecutionReasons.AgentError);
    }

    private async Task<SandboxStatus?> InspectQuietlyAsync(ActiveExecution active)
    {
        try
        {
            return await _engine.InspectAsync(active.Sandbox.Handle, CancellationToken.None);
        }
        catch (SandboxEngineException)
        {
            return null;
        }
    }

    private async Task FinishAsync(ActiveExecution active, string state, string reason, int? exitCode, long outputBytes, long chunks)
    {
        if (!active.TryClaimEnd())
        {
            return;
        }

        var record = active.Record;
        try
        {
            await _store.FinishAsync(record.Id, state, reason, exitCode, outputBytes, chunks, CancellationToken.None);
        }
        finally
        {
            active.Output.Complete();
            _active.TryRemove(record.Id, out _);
            _metrics.Active.WithLabels(record.Provider).Dec();
            _metrics.Outcomes.WithLabels(record.Provider, state, reason).Inc();
            if (active.Started != 0)
            {
                _metrics.Duration.WithLabels(record.Provider).Observe(Stopwatch.GetElapsedTime(active.Started).TotalSeconds);
            }

            ExecutionLog.Finished(_logger, record.Id, record.Provider, state, reason, exitCode, chunks, outputBytes);
            await RevokeTokenAsync(Guid.Parse(record.UserId), record.EgressTokenId);
            await _pools.RetireAsync(active.Sandbox, reason == ExecutionReasons.Completed ? "used" : reason, CancellationToken.None);
        }
    }

    private async Task ExpireUnstartedAsync(ActiveExecution active)
    {
        try
        {
            await Task.Delay(_options.StartWindow, _clock, active.Stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (active.Runner is null && !active.Starting && _active.ContainsKey(active.Record.Id))
        {
            await EndUnstartedAsync(active, ExecutionStates.Failed, ExecutionReasons.NotStarted);
        }
    }

    private async Task EndUnstartedAsync(ActiveExecution active, string state, string reason)
    {
        active.Stop(reason);
        await FinishAsync(active, state, reason, null, 0, 0);
    }

    private async Task RevokeTokenAsync(Guid userId, string? tokenId)
    {
        if (tokenId is null)
        {
            return;
        }

        try
        {
            if (await _tokens.RevokeAsync(userId, Guid.Parse(tokenId), CancellationToken.None) is { } hash)
            {
                _tokenCache.Forget(hash);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The token expires on its own soon after the execution's longest life.
            ExecutionLog.RevokeFailed(_logger, tokenId, e.Message);
        }
    }

    /// <summary>An execution this server holds a sandbox for.</summary>
    private sealed class ActiveExecution(ExecutionRecord record, WarmSandbox sandbox)
    {
        private readonly CancellationTokenSource _stopping = new();
        private int _endClaimed;

        public ExecutionRecord Record { get; } = record;

        public WarmSandbox Sandbox { get; } = sandbox;

        public ExecutionOutput Output { get; } = new();

        public Task? Runner { get; set; }

        public long Started { get; set; }

        /// <summary>Why the server stopped it (cancelled, timeout, output_limit, server_restart), if it did.</summary>
        public string? StopReason { get; private set; }

        public CancellationToken Stopping => _stopping.Token;

        public void Stop(string reason)
        {
            lock (_stopping)
            {
                StopReason ??= reason;
            }

            try
            {
                _stopping.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        /// <summary>Set just before the database says running, so expiry leaves a starting execution alone.</summary>
        public bool Starting { get; set; }

        /// <summary>Exactly one of the runner, expiry, cancel and shutdown ends an execution.</summary>
        public bool TryClaimEnd() => Interlocked.Exchange(ref _endClaimed, 1) == 0;
    }
}

public enum ExecutionRefusal
{
    NotFound,
    Conflict,
    TooMany,
    Unavailable,
}

/// <summary>An execution request the server will not carry out, with the words for the problem response.</summary>
public sealed class ExecutionRefusedException(ExecutionRefusal refusal, string detail) : Exception(detail)
{
    public ExecutionRefusal Refusal { get; } = refusal;
}
