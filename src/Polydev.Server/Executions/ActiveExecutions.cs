using System.Collections.Concurrent;
using Polydev.Server.Pools;

namespace Polydev.Server.Executions;

/// <summary>The executions this server holds a sandbox for, by id.</summary>
public sealed class ActiveExecutions
{
    private readonly ConcurrentDictionary<string, ActiveExecution> _active = new(StringComparer.Ordinal);

    public ICollection<ActiveExecution> All => _active.Values;

    public void Add(ActiveExecution execution) => _active[execution.Record.Id] = execution;

    public bool TryGet(string id, out ActiveExecution execution) => _active.TryGetValue(id, out execution!);

    public bool Contains(string id) => _active.ContainsKey(id);

    public void Remove(string id) => _active.TryRemove(id, out _);
}

/// <summary>An execution this server holds a sandbox for.</summary>
public sealed class ActiveExecution(ExecutionRecord record, WarmSandbox sandbox)
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

    /// <summary>Set just before the database says running, so expiry leaves a starting execution alone.</summary>
    public bool Starting { get; set; }

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

    /// <summary>Exactly one of the runner, expiry, cancel and shutdown ends an execution.</summary>
    public bool TryClaimEnd() => Interlocked.Exchange(ref _endClaimed, 1) == 0;
}
