namespace Polydev.Agent.Login;

/// <summary>How long a login session may last, and how long it may sit without the viewer's input.</summary>
internal sealed record LoginLimits(TimeSpan TimeLimit, TimeSpan IdleLimit, bool RelayOnly)
{
    public static LoginLimits Default { get; } = new(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(2), RelayOnly: true);
}
