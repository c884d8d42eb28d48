using Polydev.Client.Mcp;

namespace Polydev.Client.Tests.Mcp;

public sealed class ProviderIdsTests
{
    [Theory]
    [InlineData("claude_code", "anthropic")]
    [InlineData("codex_cli", "openai")]
    [InlineData("gemini_cli", "google")]
    [InlineData("anthropic", "anthropic")]
    [InlineData(" Gemini ", "google")]
    [InlineData("codex", "openai")]
    public void The_old_packages_ids_and_polydevs_own_names_resolve(string id, string provider)
    {
        Assert.Equal(provider, ProviderIds.Resolve(id));
        // Reported back under both names: the old id resolves to the same provider.
        Assert.Equal(provider, ProviderIds.Resolve(ProviderIds.LegacyId(provider)));
    }

    [Fact]
    public void Anything_else_is_an_error_that_lists_what_is_accepted()
    {
        var e = Assert.Throws<ToolInputException>(() => ProviderIds.Resolve("cursor"));
        Assert.Equal($"'cursor' is not a provider; use one of {ProviderIds.Accepted}.", e.Message);
    }
}
