using System.Net.Http.Json;
using System.Text.Json;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>
/// Issue 13, finding 15f: pre-login answered an unknown e-mail with a stable decoy, but the account a client then made
/// had a salt of its own, so the answer changed when the account was created: anyone who asked before and after
/// learnt that it had been. Sign-up now takes the parameters pre-login gave, and the answer never changes.
/// </summary>
public sealed class PreloginTests
{
    [Fact]
    public async Task Pre_login_answers_the_same_before_and_after_the_account_is_created()
    {
        await using var server = await ServerProcess.StartSqliteAsync();
        var email = $"prelogin-{Guid.NewGuid():N}@example.com";
        using var http = new HttpClient();
        async Task<string> AskAsync()
        {
            using var response = await http.PostAsJsonAsync(server.Url + ApiRoutes.Prelogin, new PreloginRequest(email), PolydevJson.Options);
            Assert.True(response.IsSuccessStatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("kdf").GetRawText();
        }

        var before = await AskAsync();
        Assert.Equal(before, await AskAsync());

        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        await cli.SignupAsync(email, password);
        Assert.Equal(before, await AskAsync());

        // And the account made with those parameters unlocks with them.
        (await cli.RunWithPasswordAsync(password, "unlock")).Succeeded();
    }
}
