namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// The Docker engine's conformance suite, its own tests and the image builders: one at a time among themselves, beside
/// the other collections (the timing-sensitive tests wait for all of them in <see cref="QuietCollection"/>).
/// </summary>
[CollectionDefinition(Name)]
public sealed class DockerSandboxCollection
{
    public const string Name = "Docker sandboxes";
}
