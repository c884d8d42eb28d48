using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polydev.Contracts.Jobs;
using Polydev.Contracts.Login;
using Polydev.Crypto;

namespace Polydev.Agent.Tests;

/// <summary>
/// A CLI that refreshed its OAuth token during a run rewrote its credential file: the agent sends the new file back,
/// sealed to the key the job named, as the last event before <c>exit</c>; an unchanged file, a job without the key,
/// or a rewrite of the wrong shape sends nothing.
/// </summary>
public sealed class CredentialWriteBackTests
{
    private const string Before = """{"claudeAiOauth":{"accessToken":"old-access","refreshToken":"old-refresh","expiresAt":1700000000000}}""";
    private const string After = """{"claudeAiOauth":{"accessToken":"new-access","refreshToken":"new-refresh","expiresAt":1900000000000}}""";

    [Theory]
    [InlineData(After, true, true)]
    [InlineData(Before, true, false)]
    [InlineData(After, false, false)]
    [InlineData("""{"apiKey":"not an account"}""", true, false)]
    public async Task A_rewritten_credential_file_goes_back_sealed_to_the_user_only_when_it_changed_has_the_shape_and_a_key_was_named(
        string rewritten, bool withKey, bool expected)
    {
        using var user = UserKeyPair.Generate();
        using var sandbox = new AgentHarness();
        sandbox.Environment["POLYDEV_AGENT_CLAUDE"] = sandbox.WriteScript("claude", $$$"""
            cat > /dev/null
            printf '%s' '{{{rewritten}}}' > "$HOME/.claude/.credentials.json"
            echo '{"type":"assistant","message":{"content":[{"type":"text","text":"hi"}]}}'
            """);
        byte[] outputKey = RandomNumberGenerator.GetBytes(32);
        JsonObject job = AgentHarness.Job("anthropic", "credential_file", Before, "hello", outputKey);
        if (withKey)
        {
            job["credential"]!["writeBackKey"] = Convert.ToBase64String(user.PublicKey);
        }

        AgentResult result = await sandbox.RunAsync(job);
        List<JsonObject> events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);
        Assert.Equal("exit", events[^1]["type"]!.GetValue<string>());
        var credential = events.SingleOrDefault(e => e["type"]!.GetValue<string>() == "credential");
        if (!expected)
        {
            Assert.Null(credential);
            return;
        }

        Assert.Same(credential, events[^2]);
        byte[] plaintext = SealedBox.Open(user, Convert.FromBase64String(credential!["sealed"]!.GetValue<string>()), CredentialEvent.SealedPurpose);
        var refreshed = JsonSerializer.Deserialize(plaintext, LoginJsonContext.Default.LoginCapturedCredential)!;
        Assert.Equal(After, refreshed.File);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1900000000000), refreshed.ExpiresAt);
        Assert.True(refreshed.Refreshable);
        Assert.DoesNotContain("new-refresh", System.Text.Encoding.UTF8.GetString(result.Raw));
    }
}
