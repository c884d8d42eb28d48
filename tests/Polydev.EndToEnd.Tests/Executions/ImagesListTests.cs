using System.Text.Json;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>Issue 14: <c>polydev images list --json</c> on the real engine, for scripts: one latest image per provider.</summary>
[Collection(SandboxCollection.Name)]
public sealed class ImagesListTests
{
    [Fact]
    public async Task Images_list_json_names_each_providers_latest_image()
    {
        using var cli = new Cli("http://127.0.0.1:9");
        var listed = (await cli.RunAsync("images", "list", "--json")).Succeeded().Stdout;

        using var images = JsonDocument.Parse(listed);
        var latest = images.RootElement.EnumerateArray().Where(i => i.GetProperty("latest").GetBoolean()).ToList();
        foreach (var provider in new[] { "anthropic", "openai", "google" })
        {
            var image = Assert.Single(latest, i => i.GetProperty("provider").GetString() == provider && i.GetProperty("reference").GetString()!.StartsWith("polydev/runtime-", StringComparison.Ordinal));
            Assert.True(image.GetProperty("sizeBytes").GetInt64() > 1 << 20);
            Assert.Contains(image.GetProperty("version").GetString()!, image.GetProperty("reference").GetString()!, StringComparison.Ordinal);
        }

        var table = (await cli.RunAsync("images", "list")).Succeeded().Stdout;
        Assert.StartsWith("PROVIDER", table, StringComparison.Ordinal);
    }
}
