using Microsoft.Extensions.Logging;
using Polydev.Server.Observability;
using Polydev.Server.Tests.Infrastructure;

namespace Polydev.Server.Tests.Observability;

public sealed class RedactionTests
{
    [Theory]
    [InlineData("token pd_s_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA leaked", "pd_s_Zm9vYmFy")]
    [InlineData("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnop")]
    [InlineData("Host=db;Username=polydev;Password=hunter2hunter2;Database=x", "hunter2")]
    public void Secrets_in_free_text_are_replaced(string text, string secret)
    {
        var redacted = SecretRedactor.Redact(text);
        Assert.DoesNotContain(secret, redacted);
        Assert.Contains(SecretRedactor.Redacted, redacted);
    }

    [Fact]
    public void Ordinary_words_after_bearer_survive()
    {
        Assert.Equal("AuthenticationScheme: Bearer was challenged.", SecretRedactor.Redact("AuthenticationScheme: Bearer was challenged."));
    }

    [Fact]
    public void The_formatter_drops_values_of_secret_named_fields_and_keeps_the_rest()
    {
        var logs = new CapturedLogs();
        var logger = logs.CreateLogger("test");
        logger.LogInformation("Signed in {Email} with {AuthKey} and {Token} from {Address}", "a@b.c", "c2VjcmV0LWF1dGgta2V5", "opaque-token-value", "127.0.0.1");

        Assert.DoesNotContain("c2VjcmV0LWF1dGgta2V5", logs.Text.Replace("Signed in", ""), StringComparison.Ordinal);
        Assert.Contains("\"authKey\":\"[redacted]\"", logs.Text);
        Assert.Contains("\"token\":\"[redacted]\"", logs.Text);
        Assert.Contains("\"address\":\"127.0.0.1\"", logs.Text);
    }
}
