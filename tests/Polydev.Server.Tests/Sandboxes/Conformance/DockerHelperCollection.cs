namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>The conformance suite through the Docker helper: its own network and chain, beside the other collections.</summary>
[CollectionDefinition(Name)]
public sealed class DockerHelperCollection
{
    public const string Name = "Docker sandboxes through the helper";
}
