namespace Polydev.Server.Tests;

/// <summary>
/// Tests that assert how long something took (a timeout fires within a few seconds) run alone, after every other
/// collection: the sandbox tests' memory hogs, fork bombs and CPU burners would otherwise stretch what they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class QuietCollection
{
    public const string Name = "Quiet";
}
