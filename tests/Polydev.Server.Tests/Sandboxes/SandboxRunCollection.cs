namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// Tests that run a few sandboxes under their limits (half a core each) through a server or the engine: one at a time
/// among themselves, beside the parallel tests, since most of their time is spent waiting on sandboxes and CLIs.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SandboxRunCollection
{
    public const string Name = "Sandbox runs";
}
