using System.Reflection;

namespace Polydev.Agent;

/// <summary>The agent build, as the hello names it: the assembly's informational version (with the source revision when built from git).</summary>
internal static class AgentVersion
{
    public static string Current { get; } =
        typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
