namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// The Docker sandbox tests run after the parallel ones, not beside them: a memory hog, a fork bomb
/// and CPU burners would otherwise steal time from the timing-sensitive egress tests of this assembly.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DockerSandboxCollection
{
    public const string Name = "Docker sandboxes";
}
