using Polydev.Agent.Protocol;

namespace Polydev.Server.Sandboxes.Agents;

/// <summary>How an agent channel ended: with the agent's exit frame, or lost (and why).</summary>
/// <param name="Exit">The agent's exit frame, or null when it never came.</param>
/// <param name="LostReason">Why the channel ended without an exit frame: the output ended (the agent crashed or was killed), heartbeats stopped, or the agent broke the protocol.</param>
public sealed record AgentEnd(AgentExit? Exit, string? LostReason)
{
    public bool IsLost => Exit is null;

    public static AgentEnd Exited(AgentExit exit) => new(exit, null);

    public static AgentEnd Lost(string reason) => new(null, reason);

    public override string ToString() => Exit is { } exit ? $"exit {exit.Reason} (status {exit.ExitStatus})" : $"lost: {LostReason}";
}

/// <summary>The agent could not be brought up: it ended before its hello, sent something else, or speaks another protocol version.</summary>
public sealed class AgentChannelException(string message, Exception? inner = null) : Exception(message, inner);
