using System.Diagnostics;
using System.Text.Json;
using Polydev.Agent;

namespace Polydev.Agent.Tests;

/// <summary>
/// Issue 13, finding 1: an API key reaches each CLI through files, never its environment. What a key or a home path
/// holds must not break out of the file formats: the Claude helper command (a shell word), Codex's JSON, Gemini's .env.
/// </summary>
public sealed class ApiKeyFilesTests
{
    private const string Key = "sk-\"quoted\"-back\\slash-$HOME-'single'";

    [Fact]
    public async Task The_claude_helper_prints_the_key_exactly_even_from_a_home_with_quotes()
    {
        var home = Directory.CreateTempSubdirectory("polydev-o'brien-").FullName;
        var files = ProviderSpec.Anthropic.ApiKeyFiles(home, Key);
        foreach (var (relativePath, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(home, relativePath))!);
            await File.WriteAllTextAsync(Path.Combine(home, relativePath), content);
        }

        using var settings = JsonDocument.Parse(files.Single(f => f.RelativePath == ".claude/settings.json").Content);
        var helper = settings.RootElement.GetProperty("apiKeyHelper").GetString()!;
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(helper);
        using var shell = Process.Start(start)!;
        Assert.Equal(Key, await shell.StandardOutput.ReadToEndAsync());
        await shell.WaitForExitAsync();
        Assert.Equal(0, shell.ExitCode);
    }

    [Fact]
    public void The_codex_and_gemini_files_hold_the_key_exactly()
    {
        var (_, auth) = Assert.Single(ProviderSpec.OpenAi.ApiKeyFiles("/home/sandbox", Key));
        using var json = JsonDocument.Parse(auth);
        Assert.Equal(Key, json.RootElement.GetProperty("OPENAI_API_KEY").GetString());

        var (path, env) = Assert.Single(ProviderSpec.Google.ApiKeyFiles("/home/sandbox", Key));
        Assert.Equal(".gemini/.env", path);
        // Gemini's dotenv strips one pair of quotes and unescapes nothing: the key goes between the quote it lacks.
        Assert.Equal("GEMINI_API_KEY=`" + Key + "`\n", env);
        Assert.Equal("GEMINI_API_KEY='sk-plain'\n", ProviderSpec.Google.ApiKeyFiles("/home/sandbox", "sk-plain").Single().Content);
        Assert.Throws<ArgumentException>(() => ProviderSpec.Google.ApiKeyFiles("/home/sandbox", "sk-line\nbreak"));
    }
}
