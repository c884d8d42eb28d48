using System.Net;
using System.Text.Json.Nodes;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Accounts;

/// <summary>
/// Issue 13, finding 12: API-token names took control characters, CRLF, NUL, right-to-left overrides and zero-width
/// characters, which a terminal then printed as they were. Names people read back now refuse them.
/// </summary>
public sealed class DisplayNameTests
{
    public static TheoryData<string, string> Refused => new()
    {
        { "ci\r\ndeploy", "U+000D" }, { "ci\0", "U+0000" }, { "ci\u001b[2Jcleared", "U+001B" }, { "ci\u202Egpj.exe", "U+202E" },
        { "c\u200Bi", "U+200B" }, { "ci\u2066x\u2069", "U+2066" }, { "ci\u0085", "U+0085" }, { "ci\u2028", "U+2028" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Token_and_device_names_with_invisible_or_steering_characters_are_refused(string name, string codePoint)
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        using var token = await account.Client(server).PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest(name, 1));
        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Contains(codePoint, JsonNode.Parse(await token.Content.ReadAsStringAsync())!["errors"]!["name"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        using var login = await server.Client.PostJsonAsync(ApiRoutes.Login, new LoginRequest(account.Email, account.AuthKey, name));
        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        Assert.Contains(codePoint, await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ordinary_names_in_any_script_and_with_emoji_are_kept()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite);
        var account = await TestAccount.SignUpAsync(server);
        foreach (var name in new[] { "CI deploy", "Déploiement", "نشر", "部署 🚀", "tab-less name" })
        {
            using var created = await account.Client(server).PostJsonAsync(ApiRoutes.Tokens, new CreateApiTokenRequest(name, 1));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal(name, (await created.ReadAsync<ApiTokenCreatedResponse>())!.Name);
        }
    }
}
