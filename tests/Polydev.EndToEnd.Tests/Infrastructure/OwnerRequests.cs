using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Polydev.Contracts;
using Polydev.Contracts.Vault;
using Polydev.Crypto;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Writes to a user's vault the way a client does, for records the CLI and the page do not make themselves (an
/// answer without a run, a record as an older client sealed it): sealed here with the user's key, sent with the user's token.
/// </summary>
public static class OwnerRequests
{
    /// <summary>Posts <paramref name="body"/> to <paramref name="path"/> with the user's bearer token.</summary>
    public static async Task PostAsync<T>(ServerProcess server, string token, string path, T body)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var created = await http.PostAsJsonAsync(server.Url + path, body, PolydevJson.Options);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
    }

    /// <summary>The token in a CLI's state file.</summary>
    public static async Task<string> TokenAsync(Cli cli)
    {
        using var state = JsonDocument.Parse(await File.ReadAllTextAsync(cli.StatePath));
        return state.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>An answer, as a run stores one (bound to its chat), added to <paramref name="chatId"/> of the one user in the server's database.</summary>
    public static async Task PostAnswerAsync(ServerProcess server, string token, string password, Guid chatId, string text)
    {
        await using var db = new SqliteConnection($"Data Source={server.SqlitePath}");
        await db.OpenAsync();
        var (userId, userKey) = await StoredKeys.UserKeyAsync(db, password);
        var id = Guid.CreateVersion7();
        var body = JsonSerializer.SerializeToUtf8Bytes(new { role = "assistant", text, provider = "anthropic", model = (string?)null });
        var envelope = Envelope.Seal(userKey, body, new EnvelopeContext(EnvelopeKinds.ChatMessage, userId, id, chatId.ToString("D")));
        await PostAsync(server, token, ApiRoutes.Messages(chatId), new CreateMessageRequest(id, new EncryptedValue(EnvelopeKinds.ChatMessage, id, envelope)));
    }
}
