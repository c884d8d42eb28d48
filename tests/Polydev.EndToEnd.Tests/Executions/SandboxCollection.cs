namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// Every test that runs real sandboxes on the local Docker engine, one at a time: they share the sandbox network and
/// the machine's two cores. The collection runs beside the other test classes, and first (<see cref="LongestFirst"/>):
/// it is the longest chain of the project, and waiting for everything else before it made the run minutes longer.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SandboxCollection
{
    public const string Name = "Sandboxes on the real Docker engine (serial)";
}

/// <summary>
/// <see cref="DockerRestartTests"/> alone: it restarts the machine's Docker daemon, which stops every container (the
/// deploy tests' stand-in VPS, other tests' sandboxes), so it runs after every other collection, with nothing beside it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DockerRestartCollection
{
    public const string Name = "Docker engine restart (alone, last)";
}
