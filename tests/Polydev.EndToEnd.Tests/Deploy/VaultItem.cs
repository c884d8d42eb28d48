using System.Net.Http.Headers;
using System.Net.Http.Json;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Deploy;

/// <summary>
/// A user's vault item on the deployed server, written before a deploy and read after it: a chat renamed once (so it
/// is at revision 2) with one message, made and read by the real <c>polydev</c> CLI, which decrypts it with the user's
/// keys; its stored revision, message count and update time read from the API.
/// </summary>
public sealed class VaultItem : IDisposable
{
    private readonly Cli _cli;

    private VaultItem(Cli cli, Guid chatId, string title, string text)
    {
        _cli = cli;
        ChatId = chatId;
        Title = title;
        Text = text;
    }

    public Guid ChatId { get; }

    public string Title { get; }

    public string Text { get; }

    /// <summary>As stored when written.</summary>
    public ChatResponse Stored { get; private set; } = null!;

    public static async Task<VaultItem> WriteAsync(string url)
    {
        var cli = new Cli(url);
        await cli.SignupAsync($"deploy-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
        var id = Guid.Parse((await cli.RunAsync("chats", "new", "Draft", "--json")).Succeeded().Json().GetProperty("id").GetString()!);
        var item = new VaultItem(cli, id, "Written before the deploy", Needles.Canary("message"));
        (await cli.RunAsync("chats", "rename", id.ToString("D"), item.Title)).Succeeded();
        (await cli.RunAsync("chats", "append", id.ToString("D"), item.Text)).Succeeded();
        item.Stored = await item.ReadStoredAsync();
        Assert.Equal(2, item.Stored.Revision);
        return item;
    }

    /// <summary>The item is there, unchanged: decrypted by the CLI with the same session, at the same revision.</summary>
    public async Task AssertUnchangedAsync()
    {
        using var json = System.Text.Json.JsonDocument.Parse((await _cli.RunAsync("chats", "export", ChatId.ToString("D"), "--format", "json")).Succeeded().Stdout);
        Assert.Equal(Title, json.RootElement.GetProperty("title").GetString());
        Assert.Equal(Text, json.RootElement.GetProperty("messages")[0].GetProperty("text").GetString());
        var now = await ReadStoredAsync();
        Assert.Equal((Stored.Revision, Stored.MessageCount, Stored.UpdatedAt), (now.Revision, now.MessageCount, now.UpdatedAt));
    }

    /// <summary>The server's answer to reading the item with the user's session (401 once the account is gone).</summary>
    public async Task<System.Net.HttpStatusCode> StatusAsync()
    {
        using var http = await AuthorizedAsync();
        using var response = await http.GetAsync(_cli.Server + ApiRoutes.Chat(ChatId));
        return response.StatusCode;
    }

    private async Task<ChatResponse> ReadStoredAsync()
    {
        using var http = await AuthorizedAsync();
        return (await http.GetFromJsonAsync<ChatResponse>(_cli.Server + ApiRoutes.Chat(ChatId), PolydevJson.Options))!;
    }

    private async Task<HttpClient> AuthorizedAsync()
    {
        using var state = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(_cli.StatePath));
        var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", state.RootElement.GetProperty("token").GetString());
        return http;
    }

    public void Dispose() => _cli.Dispose();
}
