using Microsoft.Playwright;
using Polydev.EndToEnd.Tests.Executions;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Web;

/// <summary>
/// A user's whole first session in the web client, in Debian's chromium against a real <c>polydev server</c> with
/// warm sandboxes for the three real CLIs, each pointed at its local HTTPS stub through the endpoint stored with the
/// key. Every request the page sends is captured: no canary typed by the test may leave the page in clear, and none
/// may be in the server's database, files or logs afterwards.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class WebJourneyTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly (string Provider, string Name)[] Providers = [("anthropic", "Claude"), ("openai", "Codex"), ("google", "Gemini")];

    [Fact]
    public async Task Sign_up_run_one_and_three_providers_reload_unlock_and_read_with_nothing_readable_leaving_the_page()
    {
        var stubs = new List<ProviderUnderTest>();
        try
        {
            foreach (var (provider, _) in Providers)
            {
                stubs.Add(await ProviderUnderTest.StartAsync(provider));
            }

            await using var server = await SandboxedServer.StartAsync(
                [.. Providers.Select(p => p.Provider)],
                SandboxedServer.NewServerId(),
                ServerProcess.FreePort(),
                moreSettings: new Dictionary<string, string?> { ["POLYDEV_WEB__ROOT"] = BuiltWebClient.Directory });
            await using var session = await browser.NewSessionAsync(server.Url);
            var web = new WebClient(session.Page);

            var password = Needles.Canary("password");
            var title = Needles.Canary("title");
            var firstPrompt = Needles.Canary("prompt") + " Say hello.";
            var secondPrompt = Needles.Canary("perspectives") + " Compare.";
            var apiKeys = Providers.ToDictionary(p => p.Provider, p => Needles.Canary($"key-{p.Provider}"));

            var recoveryCode = await web.SignUpAsync($"web-{Guid.NewGuid():N}@example.com", password, name => session.ScreenshotAsync(name));
            await session.ScreenshotAsync("chats-empty");

            // Providers: each key with its stub's endpoint and CA under "Advanced", as a company gateway would be set.
            await web.GoToAsync("Providers", "providers");
            foreach (var stub in stubs)
            {
                await web.AddApiKeyAsync(stub.Name, $"{stub.Name} test key", apiKeys[stub.Name], stub.BaseUrl, await File.ReadAllTextAsync(stub.Stub.AuthorityPemPath));
            }

            await session.ScreenshotAsync("providers");

            // One provider: the answer streams into the chat.
            await web.GoToAsync("Chats", "chats");
            await web.NewChatAsync(title);
            foreach (var (provider, _) in Providers)
            {
                await SandboxedServer.WaitForReadyAsync(server, provider, TimeSpan.FromSeconds(90));
            }

            // Claude Code is told to run a tool first (ListAgents: offered to headless runs, read-only, no permission asked);
            // the page shows the call and its result as a tool block, then the answer.
            var anthropic = (Polydev.Testing.ProviderStubs.AnthropicStub)stubs[0].Stub;
            anthropic.ToolCall = ("ListAgents", new System.Text.Json.Nodes.JsonObject());
            // Issue 14: a model picked for the provider goes with the job to its CLI.
            await session.Page.GetByLabel("Claude model").FillAsync("claude-sonnet-4-5");
            await web.SendAsync(firstPrompt, "Claude");
            Assert.Equal("done", await web.WaitForAnswerEndAsync("anthropic"));
            var modelCalls = stubs[0].Stub.RequestBodies.Where(b => b.Contains(firstPrompt.Split(' ')[0], StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(modelCalls);
            Assert.All(modelCalls, body => Assert.Contains("\"claude-sonnet-4-5\"", body, StringComparison.Ordinal));
            anthropic.ToolCall = null;
            Assert.Contains(stubs[0].Stub.Answer, await web.LiveAnswer("anthropic").InnerTextAsync(), StringComparison.Ordinal);
            // Issue 14: the run's timeline, and the tokens and cost the CLI reported.
            Assert.Matches(
                @"^(warm sandbox|cold sandbox started) \d+\.\d s · credential delivered \d+\.\d s · CLI started \d+\.\d s · first output \d+\.\d s · done \d+\.\d s$",
                await web.LiveAnswer("anthropic").Locator(".answer-timeline").InnerTextAsync());
            Assert.Matches(@"^\d[\d,]* tokens in · \d[\d,]* out", await web.LiveAnswer("anthropic").Locator(".answer-usage").InnerTextAsync());
            var tool = web.LiveAnswer("anthropic").Locator("details.tool");
            Assert.Equal(1, await tool.CountAsync());
            Assert.Equal("ListAgents", await tool.Locator(".tool-name").InnerTextAsync());
            Assert.Equal(1, await tool.Locator(".tool-output").CountAsync());
            Assert.True(await tool.GetAttributeAsync("data-result") == "ok", $"The ListAgents tool failed: {await tool.Locator(".tool-output").TextContentAsync()} (offered: {string.Join(", ", anthropic.OfferedTools)})");
            Assert.All(stubs[0].Stub.ReceivedCredentials, credential => Assert.Equal(apiKeys["anthropic"], credential));
            await session.ScreenshotAsync("run");

            // Perspectives: the same chat, three providers at once, three answers side by side.
            foreach (var (provider, _) in Providers)
            {
                await SandboxedServer.WaitForReadyAsync(server, provider, TimeSpan.FromSeconds(90));
            }

            await web.SendAsync(secondPrompt, "Claude", "Codex", "Gemini");
            foreach (var (stub, (provider, name)) in stubs.Zip(Providers))
            {
                Assert.Equal("done", await web.WaitForAnswerEndAsync(provider, 180_000));
                Assert.Contains(stub.Stub.Answer, await web.LiveAnswer(provider).InnerTextAsync(), StringComparison.Ordinal);
                Assert.NotEmpty(stub.Stub.ReceivedCredentials);
                Assert.All(stub.Stub.ReceivedCredentials, credential => Assert.Equal(apiKeys[provider], credential));
            }

            await session.ScreenshotAsync("perspectives");

            // Reload: the keys are gone with the page; the password opens them again without a new sign-in, and a
            // wrong one is refused.
            var chatUrl = session.Page.Url;
            await session.Page.ReloadAsync();
            await web.WaitForPageAsync("unlock");
            Assert.Equal(0, await session.Page.GetByText(stubs[0].Stub.Answer).CountAsync());
            await web.UnlockAsync(password + "-wrong");
            await session.Page.GetByText("Wrong password.").WaitForAsync(new() { Timeout = 60_000 });
            await session.ScreenshotAsync("unlock");
            await web.UnlockAsync(password);
            await web.WaitForPageAsync("run", 60_000);
            Assert.Equal(chatUrl, session.Page.Url);
            var conversation = session.Page.GetByRole(AriaRole.List, new() { Name = "Messages" });
            await conversation.GetByText(firstPrompt).WaitForAsync();
            await conversation.GetByText(secondPrompt).WaitForAsync();
            foreach (var stub in stubs)
            {
                // The first answer and the three perspectives, read back from the encrypted chat.
                Assert.True(await conversation.GetByText(stub.Stub.Answer).CountAsync() >= 1, $"{stub.Name}'s saved answer is not shown after unlock.");
            }

            Assert.True(await conversation.GetByText(stubs[0].Stub.Answer).CountAsync() >= 2, "Claude answered twice; both answers must be in the chat.");
            await session.ScreenshotAsync("chat-after-unlock");

            // The chat list shows the decrypted title.
            await web.GoToAsync("Chats", "chats");
            await session.Page.GetByRole(AriaRole.List, new() { Name = "Your chats" }).GetByText(title).WaitForAsync();
            await session.ScreenshotAsync("chats");

            // Cancel: a slow answer is stopped from the page; nothing is saved and the prompt stays in the composer.
            var cancelledPrompt = Needles.Canary("cancelled") + " Take your time.";
            anthropic.ResponseDelay = TimeSpan.FromSeconds(60);
            await session.Page.GetByRole(AriaRole.List, new() { Name = "Your chats" }).GetByText(title).ClickAsync();
            await web.WaitForPageAsync("run");
            await SandboxedServer.WaitForReadyAsync(server, "anthropic", TimeSpan.FromSeconds(90));
            await web.SendAsync(cancelledPrompt, "Claude");
            await stubs[0].WaitForModelCallAsync(TimeSpan.FromSeconds(60), () => server.Logs);
            await web.LiveAnswer("anthropic").GetByRole(AriaRole.Button, new() { Name = "Cancel Claude" }).ClickAsync();
            Assert.Equal("cancelled", await web.WaitForAnswerEndAsync("anthropic", 30_000));
            Assert.Equal(cancelledPrompt, await session.Page.GetByLabel("Prompt").InputValueAsync());

            // Issue 14: a refused key is one sentence naming the credential, the CLI's words behind "Details", kept in
            // the chat as a failure (never as an answer).
            anthropic.ResponseDelay = TimeSpan.Zero;
            anthropic.FailWithStatus = 401;
            await SandboxedServer.WaitForReadyAsync(server, "anthropic", TimeSpan.FromSeconds(90));
            await web.SendAsync(cancelledPrompt, "Claude");
            Assert.Equal("failed", await web.WaitForAnswerEndAsync("anthropic", 60_000));
            var failed = web.LiveAnswer("anthropic");
            Assert.StartsWith("Anthropic rejected the API key “", await failed.Locator(".answer-problem").InnerTextAsync(), StringComparison.Ordinal);
            Assert.EndsWith("(401). Replace it on the Providers page.", await failed.Locator(".answer-problem").InnerTextAsync(), StringComparison.Ordinal);
            await failed.Locator("details.answer-details summary").ClickAsync();
            Assert.StartsWith("credential_rejected:", await failed.Locator("details.answer-details p").InnerTextAsync(), StringComparison.Ordinal);
            await session.ScreenshotAsync("run-failed");
            anthropic.FailWithStatus = null;

            Assert.Empty(session.Log.CspViolations);
            Assert.Empty(session.Log.PageErrors);

            // Nothing typed, nor any answer, left the page readable.
            var needles = new Needles()
                .AddText("password", password)
                .AddText("chat title", title)
                .AddText("prompt", firstPrompt)
                .AddText("perspectives prompt", secondPrompt)
                .AddText("cancelled prompt", cancelledPrompt)
                .AddText("recovery code", recoveryCode);
            foreach (var (provider, key) in apiKeys)
            {
                needles.AddText($"{provider} API key", key);
            }

            var answers = new Needles();
            foreach (var stub in stubs)
            {
                answers.AddText($"{stub.Name} answer", stub.Stub.Answer);
            }

            var sent = string.Join("\n\n", (await session.Log.RequestsAsync()).Select(r => r.Text));
            Assert.Contains("/api/executions", sent, StringComparison.Ordinal);
            needles.AssertAbsentFrom("the requests the page sent", sent);
            answers.AssertAbsentFrom("the requests the page sent", sent);

            needles.AssertAbsentFrom("docker inspect of every container", await Docker.InspectAllContainersAsync());
            needles.AssertAbsentFrom("/metrics", await server.GetAsync("/metrics"));
            await server.StopAsync();
            needles.AssertAbsentFrom("the server's logs", server.Logs);
            answers.AssertAbsentFrom("the server's logs", server.Logs);
            var dump = await DatabaseDump.ReadSqliteAsync(server.SqlitePath);
            Assert.Equal(6, dump.Rows("job_executions").Count);
            Assert.Equal(1, dump.Rows("job_executions").Count(row => (string?)row["state"] == "cancelled"));
            Assert.Equal(8, dump.Rows("chat_messages").Count); // two prompts, one answer, then three; a prompt and its failure
            needles.AssertAbsentFrom("the database", dump.Text);
            needles.AssertAbsentFrom("the database files", dump.Bytes);
            answers.AssertAbsentFrom("the database", dump.Text);
            answers.AssertAbsentFrom("the database files", dump.Bytes);
        }
        finally
        {
            foreach (var stub in stubs)
            {
                await stub.DisposeAsync();
            }
        }
    }
}
