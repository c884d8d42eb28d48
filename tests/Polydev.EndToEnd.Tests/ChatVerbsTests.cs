using System.Text.Json;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// Issue 14, "The terminal": chats renamed, exported (Markdown or JSON, decrypted here) and deleted; ids shown and
/// taken by their shortest unique start, as git does, and an ambiguous start named with its candidates.
/// </summary>
public sealed class ChatVerbsTests
{
    [Fact]
    public async Task Chats_are_renamed_exported_and_deleted_and_ids_show_their_shortest_unique_start()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        await cli.SignupAsync($"chats-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));

        // Made back to back, the two ids (UUIDv7: time first) share their first characters.
        var alpha = (await cli.RunAsync("chats", "new", "Alpha", "--json")).Succeeded().Json().GetProperty("id").GetString()!;
        var beta = (await cli.RunAsync("chats", "new", "Beta", "--json")).Succeeded().Json().GetProperty("id").GetString()!;
        var shared = 0;
        while (alpha[shared] == beta[shared])
        {
            shared++;
        }

        Assert.True(shared >= 8, $"{alpha} and {beta} share {shared} characters");
        var list = (await cli.RunAsync("chats", "list")).Succeeded().Stdout;
        var shown = list.Split('\n').Where(l => l.EndsWith("Alpha", StringComparison.Ordinal) || l.EndsWith("Beta", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToList();
        Assert.Equal(2, shown.Count);
        Assert.All(shown, id => Assert.True(id.Length > shared && id.Length < 36, $"'{id}' for ids sharing {shared} characters"));
        Assert.Single(shown, s => alpha.StartsWith(s, StringComparison.Ordinal));

        var ambiguous = (await cli.RunAsync("chats", "show", alpha[..8])).FailedWithOneLine();
        Assert.Contains("2 chats match", ambiguous, StringComparison.Ordinal);
        Assert.Contains("(Alpha)", ambiguous, StringComparison.Ordinal);
        Assert.Contains("(Beta)", ambiguous, StringComparison.Ordinal);

        var alphaShort = shown.Single(s => alpha.StartsWith(s, StringComparison.Ordinal));
        (await cli.RunAsync("chats", "rename", alphaShort, "Gamma")).Succeeded();
        (await cli.RunAsync("chats", "append", "Gamma", "A line with **Markdown**.")).Succeeded();
        Assert.Contains("Gamma", (await cli.RunAsync("chats", "list")).Succeeded().Stdout, StringComparison.Ordinal);

        var file = Path.Combine(cli.Home, "gamma.md");
        (await cli.RunAsync("chats", "export", "Gamma", "-o", file)).Succeeded();
        var markdown = await File.ReadAllTextAsync(file);
        Assert.StartsWith("# Gamma\n\n## You — ", markdown, StringComparison.Ordinal);
        Assert.EndsWith("\n\nA line with **Markdown**.\n", markdown, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Contains("exists already", (await cli.RunAsync("chats", "export", "Gamma", "-o", file)).FailedWithOneLine(), StringComparison.Ordinal);

        using var json = JsonDocument.Parse((await cli.RunAsync("chats", "export", "Gamma", "--format", "json")).Succeeded().Stdout);
        Assert.Equal("Gamma", json.RootElement.GetProperty("title").GetString());
        Assert.Equal("A line with **Markdown**.", json.RootElement.GetProperty("messages")[0].GetProperty("text").GetString());

        Assert.Contains("--yes", (await cli.RunAsync("chats", "delete", "Gamma")).FailedWithOneLine(exitCode: 2), StringComparison.Ordinal);
        (await cli.RunAsync("chats", "delete", "Gamma", "--yes")).Succeeded();
        var after = (await cli.RunAsync("chats", "list")).Succeeded().Stdout;
        Assert.DoesNotContain("Gamma", after, StringComparison.Ordinal);
        Assert.Contains("Beta", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_says_where_this_machine_stands_without_asking_for_anything()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        using var cli = new Cli(server.Url);
        Assert.Contains("Signed in:  no", (await cli.RunAsync("status")).Succeeded().Stdout, StringComparison.Ordinal);

        var email = $"status-{Guid.NewGuid():N}@example.com";
        await cli.SignupAsync(email, Needles.Canary("password"));
        var status = (await cli.RunAsync("status")).Succeeded().Stdout;
        Assert.Contains($"Signed in:  {email}", status, StringComparison.Ordinal);
        Assert.Contains("Vault:      unlocked here", status, StringComparison.Ordinal);
        Assert.Matches(@"Egress:     port \d+", status);
        Assert.Contains("Sandboxes:  this server runs none", status, StringComparison.Ordinal);

        (await cli.RunAsync("lock")).Succeeded();
        var locked = (await cli.RunAsync("status", "--json")).Succeeded().Json();
        Assert.False(locked.GetProperty("unlocked").GetBoolean());
        Assert.False(locked.GetProperty("sandboxes").GetBoolean());
        Assert.Equal(email, locked.GetProperty("email").GetString());
    }
}
