using Microsoft.Extensions.Options;
using Polydev.Server.Accounts;

namespace Polydev.Server.Tests.Accounts;

/// <summary>
/// Issue 13, finding 15c: a stored hash with an empty hash part (<c>pbkdf2-sha256$1$$</c>) verified every secret,
/// because an empty derivation compares equal to an empty expectation. Only a well-formed stored value can match.
/// </summary>
public sealed class SecretHasherTests
{
    private static readonly SecretHasher Hasher = new(Options.Create(new AccountsOptions { AuthKeyHashIterations = 1000 }));

    [Theory]
    [InlineData("pbkdf2-sha256$1$$")]
    [InlineData("pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$")]
    [InlineData("pbkdf2-sha256$1000$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$1000$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$not base64!$not base64!")]
    [InlineData("pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("")]
    [InlineData(null)]
    public void A_malformed_or_empty_stored_value_matches_no_secret(string? stored)
    {
        Assert.False(Hasher.Verify(new byte[32], stored));
        Assert.False(Hasher.Verify([], stored));
    }

    [Fact]
    public void A_real_hash_matches_its_secret_only_and_an_empty_secret_is_never_stored()
    {
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var stored = Hasher.Hash(secret);
        Assert.True(Hasher.Verify(secret, stored));
        Assert.False(Hasher.Verify(new byte[32], stored));
        Assert.False(Hasher.Verify([], stored));
        Assert.Throws<ArgumentException>(() => Hasher.Hash([]));
    }
}
