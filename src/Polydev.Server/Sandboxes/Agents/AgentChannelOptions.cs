using System.Globalization;

namespace Polydev.Server.Sandboxes.Agents;

/// <summary>
/// Settings under <c>Sandboxes:Agent</c> (environment: <c>POLYDEV_SANDBOXES__AGENT__…</c>): the agent channel's
/// timing (docs/agent-protocol.md).
/// </summary>
public sealed class AgentChannelOptions
{
    /// <summary>How often the agent sends a heartbeat; passed to <c>polydev-agent serve --heartbeat-ms</c>.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many heartbeats in a row may be missed before the server treats the agent as lost.</summary>
    public int MissedHeartbeats { get; set; } = 3;

    /// <summary>How long the agent has to say hello after it starts (it makes its key pair first).</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the agent has, after a cancel or its final output chunk, to send its exit frame.</summary>
    public TimeSpan ExitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The arguments of <c>polydev-agent serve</c> that carry these settings.</summary>
    public IReadOnlyList<string> ServeArguments =>
        ["--heartbeat-ms", ((long)HeartbeatInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)];

    /// <summary>Throws with a message naming the setting when the values cannot work.</summary>
    public void Validate()
    {
        if (HeartbeatInterval < TimeSpan.FromMilliseconds(1) || HeartbeatInterval > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException($"Sandboxes:Agent:HeartbeatInterval ({HeartbeatInterval}) must be between 1 ms and one hour.");
        }

        if (MissedHeartbeats < 1)
        {
            throw new InvalidOperationException($"Sandboxes:Agent:MissedHeartbeats ({MissedHeartbeats}) must be at least 1.");
        }
    }
}
