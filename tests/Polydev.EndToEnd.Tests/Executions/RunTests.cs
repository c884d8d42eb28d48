using System.Text.Json;
using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// <c>polydev run</c> as a user runs it, for each of the three real CLIs: a real server with warm sandboxes on the
/// Docker engine, the CLI in its runtime image, reaching a local HTTPS stub of its provider's API only through the
/// user's egress port. The stub must get the user's own key; the user must get the stub's answer; and neither the
/// key nor the prompt may show up anywhere the server or the engine keeps things.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class RunTests
{
    [Theory]
    [InlineData("anthropic")]
    [InlineData("openai")]
    [InlineData("google")]
    public async Task Run_streams_the_stubs_answer_stores_it_in_a_chat_and_leaves_no_canary_behind(string name)
    {
        await using var provider = await ProviderUnderTest.StartAsync(name);
        var serverId = SandboxedServer.NewServerId();
        await using var server = await SandboxedServer.StartAsync(name, serverId, ServerProcess.FreePort());
        using var cli = new Cli(server.Url);
        var password = Needles.Canary("password");
        await cli.SignupAsync($"run-{name}-{Guid.NewGuid():N}@example.com", password);

        var apiKey = Needles.Canary("key");
        var prompt = Needles.Canary("prompt") + " Say hello.";
        // The stub's endpoint stored with the key (as a company gateway would be), so the first run needs no flags.
        (await cli.RunAsync(["credentials", "add", name, "--base-url", provider.BaseUrl, "--ca-file", provider.Stub.AuthorityPemPath], stdin: apiKey)).Succeeded();
        (await cli.RunAsync("chats", "new", "e2e run")).Succeeded();
        await SandboxedServer.WaitForReadyAsync(server, name, TimeSpan.FromSeconds(60));

        // The prompt from stdin, as a secret should come: never in a process's arguments.
        var run = await SucceedsAsync(server, provider, cli.RunAsync(["run", "--provider", name, "--chat", "e2e run", "-"], stdin: prompt));
        Assert.Contains(provider.Stub.Answer, run.Stdout, StringComparison.Ordinal);
        Assert.Contains("warm sandbox", run.Stderr, StringComparison.Ordinal);
        Assert.NotEmpty(provider.Stub.ReceivedCredentials);
        Assert.All(provider.Stub.ReceivedCredentials, credential => Assert.Equal(apiKey, credential));

        var chat = (await cli.RunAsync("chats", "show", "e2e run")).Succeeded();
        Assert.Contains(prompt, chat.Stdout, StringComparison.Ordinal);
        Assert.Contains(provider.Stub.Answer, chat.Stdout, StringComparison.Ordinal);

        // --json: the normalized events (docs/events.md), one per line, as the agent sent them; the endpoint given on
        // the command line this time (it wins over the stored one).
        var json = await SucceedsAsync(server, provider, cli.RunAsync(provider.RunArguments("--json", "Say hello again.")));
        var lines = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        // The CLI's own phase lines (issue 14) among the agent's events, each phase once, in order, times rising.
        var phases = lines.Where(l => l.GetProperty("type").GetString() == "phase").ToList();
        Assert.Equal(["allocated", "delivered", "accepted", "cli_started", "first_output", "done"], phases.Select(p => p.GetProperty("phase").GetString()));
        Assert.True(phases[0].GetProperty("warm").GetBoolean());
        Assert.True(phases.Zip(phases.Skip(1)).All(p => p.First.GetProperty("elapsedMs").GetInt64() <= p.Second.GetProperty("elapsedMs").GetInt64()));
        var events = lines.Where(l => l.GetProperty("type").GetString() != "phase").ToList();
        var types = events.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal("accepted", types[0]);
        Assert.Contains("start", types);
        Assert.Contains("result", types);
        Assert.True(types.IndexOf("start") < types.IndexOf("text") && types.IndexOf("text") < types.IndexOf("result"), string.Join(", ", types));
        Assert.Equal(provider.Stub.Answer, string.Concat(events.Where(e => e.GetProperty("type").GetString() == "text").Select(e => e.GetProperty("text").GetString())));
        Assert.Equal("exit", types[^1]);
        Assert.Equal("ok", events[^1].GetProperty("reason").GetString());

        var needles = new Needles().AddText("API key", apiKey).AddText("prompt", prompt).AddText("password", password);

        // Issue 14: a follow-up carries the conversation. --continue picks the chat with the latest message, and the
        // model's request for the new prompt holds the first turn, prompt and answer, with the new prompt after them.
        var firstAnswer = provider.Stub.Answer;
        provider.Stub.Answer = $"The {name} stub answers the follow-up {Guid.NewGuid():N}.";
        var followUp = Needles.Canary("follow-up") + " And now?";
        var bodiesBefore = provider.Stub.RequestBodies.Count;
        var second = await SucceedsAsync(server, provider, cli.RunAsync(["run", "--provider", name, "--continue", "-"], stdin: followUp));
        Assert.Contains(provider.Stub.Answer, second.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 earlier prompt(s)", second.Stderr, StringComparison.Ordinal);
        // The canaries are ASCII without quotes or backslashes: JSON carries them as they are.
        var followUpToken = followUp.Split(' ')[0];
        var modelCall = provider.Stub.RequestBodies.Skip(bodiesBefore).Last(b => b.Contains(followUpToken, StringComparison.Ordinal));
        Assert.True(modelCall.Contains(prompt, StringComparison.Ordinal) && modelCall.Contains(firstAnswer, StringComparison.Ordinal), modelCall[..Math.Min(3000, modelCall.Length)]);
        Assert.True(modelCall.IndexOf(firstAnswer, StringComparison.Ordinal) < modelCall.LastIndexOf(followUpToken, StringComparison.Ordinal));
        var thread = (await cli.RunAsync("chats", "show", "e2e run")).Succeeded().Stdout;
        Assert.True(thread.IndexOf(firstAnswer, StringComparison.Ordinal) < thread.IndexOf(provider.Stub.Answer, StringComparison.Ordinal), thread);
        needles.AddText("follow-up", followUp);

        // Zero knowledge, while the server runs: its own environment and arguments, every container the engine has.
        needles.AssertAbsentFrom("the server's environment", [server.ReadEnviron()]);
        needles.AssertAbsentFrom("the server's arguments", [server.ReadCommandLine()]);
        needles.AssertAbsentFrom("docker inspect of every container", await Docker.InspectAllContainersAsync());
        needles.AssertAbsentFrom("/metrics", await server.GetAsync("/metrics"));

        // ... and once it has stopped (its last log lines flushed): its logs and every table and file of its database.
        await server.StopAsync();
        needles.AssertAbsentFrom("the server's logs", server.Logs);
        var dump = await DatabaseDump.ReadSqliteAsync(server.SqlitePath);
        Assert.NotEmpty(dump.Rows("job_executions"));
        needles.AssertAbsentFrom("the database", dump.Text);
        needles.AssertAbsentFrom("the database files", dump.Bytes);
    }

    /// <summary>A run that must succeed; when it does not, the failure shows what the server and the stub saw too.</summary>
    private static async Task<CliResult> SucceedsAsync(ServerProcess server, ProviderUnderTest provider, Task<CliResult> run)
    {
        try
        {
            return (await run).Succeeded();
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nStub requests: {string.Join(", ", provider.Stub.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"))}\nServer logs:\n{server.Logs}");
        }
    }
}
