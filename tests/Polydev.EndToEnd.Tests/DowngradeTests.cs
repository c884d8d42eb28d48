using Polydev.EndToEnd.Tests.Infrastructure;

namespace Polydev.EndToEnd.Tests;

/// <summary>A server that hands out weak KDF parameters gets no login attempt: no authKey derived from them ever leaves.</summary>
public sealed class DowngradeTests
{
    [Theory]
    [InlineData("PBKDF2-SHA256", 1000, 16, "1000 PBKDF2 iterations")]
    [InlineData("PBKDF2-SHA1", 600000, 16, "unsupported key-derivation algorithm")]
    [InlineData("PBKDF2-SHA256", 600000, 4, "salt of 4 bytes")]
    public async Task Login_refuses_weak_parameters_before_sending_anything(string algorithm, int iterations, int saltLength, string expected)
    {
        var salt = Convert.ToBase64String(new byte[saltLength]);
        await using var fake = new FakeServer(new Dictionary<string, string>
        {
            ["POST /api/auth/prelogin"] = $$$"""{"kdf":{"algorithm":"{{{algorithm}}}","iterations":{{{iterations}}},"salt":"{{{salt}}}"}}""",
            ["POST /api/auth/login"] = """{"token":"pd_s_x","sessionId":"00000000-0000-0000-0000-000000000001","expiresAt":null,"account":{}}""",
        });
        using var cli = new Cli(fake.Url);

        var result = await cli.RunWithPasswordAsync("a password", "login", "--email", "victim@example.com");

        var line = result.FailedWithOneLine();
        Assert.StartsWith("polydev login: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal(["/api/auth/prelogin"], fake.Requests.Select(r => r.Path));
        Assert.False(File.Exists(cli.StatePath));
    }
}
