namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// Every test that runs real sandboxes on the local Docker engine, one at a time: they share the sandbox network
/// and the machine's two cores, and one of them (<see cref="DockerRestartTests"/>) restarts the engine itself.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SandboxCollection
{
    public const string Name = "Sandboxes on the real Docker engine (serial; one test restarts dockerd)";
}
