using Polydev.Contracts.Login;
using Polydev.Server.Pools;

namespace Polydev.Server.Login.Sessions;

/// <summary>
/// A login session as this server holds it while it lives: whose it is, the leased sandbox and its agent channel, and
/// what the viewer reported. Sessions live in memory only: a restarted server has none, and the pool's reconciliation
/// removes their sandboxes.
/// </summary>
public sealed class LiveLoginSession(Guid id, Guid userId, WarmSandbox sandbox, DateTimeOffset createdAt, DateTimeOffset expiresAt, DateTimeOffset openBy)
{
    private readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _opened;
    private int _channelAttached;

    public Guid Id { get; } = id;

    public Guid UserId { get; } = userId;

    public WarmSandbox Sandbox { get; } = sandbox;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    public DateTimeOffset OpenBy { get; } = openBy;

    public string State => _ended.Task.IsCompleted ? LoginSessionStates.Ended : _opened == 1 ? LoginSessionStates.Open : LoginSessionStates.Waiting;

    /// <summary>The provider whose account the session connects, as the start named it (metadata: the sealed opening is what the agent acts on).</summary>
    public string? Connect { get; init; }

    /// <summary>The session's egress token (revoked at the end) and the proxy URL that carries it.</summary>
    public string? EgressTokenId { get; set; }

    public string? ProxyUrl { get; set; }

    /// <summary>The credential the agent captured (tag and sealed box, opaque here), kept for the user's client after the end.</summary>
    public byte[]? Credential { get; set; }

    public string? Path { get; set; }

    public string? IcePath { get; set; }

    public bool FirstFrameReported { get; set; }

    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>The end's reason once ended (<see cref="LoginSessionEndReasons"/>).</summary>
    public Task<string> Ended => _ended.Task;

    /// <summary>True the first time only: the opening goes to the agent once.</summary>
    public bool TryMarkOpened() => Interlocked.Exchange(ref _opened, 1) == 0;

    /// <summary>True when no viewer channel is attached: one at a time per session.</summary>
    public bool TryAttachChannel() => Interlocked.Exchange(ref _channelAttached, 1) == 0;

    /// <summary>The viewer's channel closed; a reconnect may attach another.</summary>
    public void DetachChannel() => Interlocked.Exchange(ref _channelAttached, 0);

    /// <summary>Records the end; false when it had already ended (the first reason stands).</summary>
    public bool TryEnd(string reason, DateTimeOffset at)
    {
        if (_ended.Task.IsCompleted)
        {
            return false;
        }

        EndedAt = at;
        return _ended.TrySetResult(reason);
    }

    public LoginSessionResponse ToResponse() => new(Id, State, CreatedAt, ExpiresAt, Path, IcePath, EndedAt,
        _ended.Task.IsCompleted ? _ended.Task.Result : null, Connect, Credential is not null);
}
