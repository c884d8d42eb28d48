using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Polydev.EndToEnd.Tests.Executions.LongestFirst", "Polydev.EndToEnd.Tests")]

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// Starts the project's longest chains first, so they run beside the many short classes instead of after them: the
/// serial sandbox collection (about 14 minutes of one thread), then the deploy tests (each class a stand-in VPS of its
/// own, minutes each), then the rest in xunit's own order. xunit hands collections to its threads in this order.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .Select((collection, index) => (collection, index))
            .OrderBy(c => Rank(c.collection))
            .ThenBy(c => c.index)
            .Select(c => c.collection);

    private static int Rank(ITestCollection collection) =>
        collection.DisplayName == SandboxCollection.Name ? 0
        : collection.DisplayName.Contains(".Deploy.", StringComparison.Ordinal) ? 1
        : 2;
}
