using System.Text.Json.Nodes;
using Polydev.Crypto.Tests.Support;

namespace Polydev.Crypto.Tests;

public sealed class PolydevVectorFileTests
{
    /// <summary>
    /// The checked-in file is exactly what the generator makes. Set POLYDEV_WRITE_VECTORS=1 to rewrite the file
    /// instead, after an intentional format change (which other implementations must then follow).
    /// </summary>
    [Fact]
    public void Checked_in_vectors_are_what_the_generator_produces()
    {
        JsonObject generated = PolydevVectorGenerator.Generate();

        if (Environment.GetEnvironmentVariable("POLYDEV_WRITE_VECTORS") == "1")
        {
            PolydevVectorGenerator.WriteTo(VectorFiles.SourcePath(VectorFiles.Polydev));
            return;
        }

        JsonObject checkedIn = VectorFiles.Load(VectorFiles.Polydev);
        Assert.True(
            JsonNode.DeepEquals(checkedIn, generated),
            "tests/vectors/polydev-crypto.json differs from what the implementation generates. If the format changed on purpose, " +
            "regenerate with POLYDEV_WRITE_VECTORS=1 and update docs/crypto.md; otherwise the implementation broke compatibility.");
    }
}
