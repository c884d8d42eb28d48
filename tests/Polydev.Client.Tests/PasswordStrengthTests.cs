using Polydev.Client.Terminal;

namespace Polydev.Client.Tests;

/// <summary>Issue 14: the strength estimate, with the cases web/test/password-strength.test.ts checks too, so both clients agree.</summary>
public sealed class PasswordStrengthTests
{
    [Theory]
    [InlineData("password", 0, "very weak")]
    [InlineData("aaaaaaaaaaaa", 15, "very weak")]
    [InlineData("abcdefgh1234", 20, "very weak")]
    [InlineData("hunter22", 37, "fair")]
    [InlineData("x7#Kq!9v", 52, "fair")]
    [InlineData("Tr0ub4dor&3", 72, "strong")]
    [InlineData("correct horse battery staple", 140, "very strong")]
    [InlineData("Zürich-Spaziergang-2026", 174, "very strong")]
    public void The_estimate_is_the_web_clients(string password, int bits, string word) =>
        Assert.Equal((bits, word), PasswordStrength.Estimate(password));
}
