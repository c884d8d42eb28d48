namespace Polydev.Crypto.Tests;

public sealed class KdfParametersTests
{
    private static readonly byte[] Salt = new byte[16];

    [Fact]
    public void CreateDefault_uses_PBKDF2_SHA256_600000_iterations_and_a_random_16_byte_salt()
    {
        KdfParameters first = KdfParameters.CreateDefault();
        KdfParameters second = KdfParameters.CreateDefault();

        Assert.Equal("PBKDF2-SHA256", first.Algorithm);
        Assert.Equal(600_000, first.Iterations);
        Assert.Equal(16, first.Salt.Length);
        Assert.NotEqual(first.Salt, second.Salt);
        first.EnsureAcceptable();
    }

    [Theory]
    [InlineData(600_000, 16)]
    [InlineData(600_001, 16)]
    [InlineData(2_000_000, 64)]
    public void Parameters_at_or_above_the_minimum_are_accepted(int iterations, int saltLength)
    {
        new KdfParameters(KdfParameters.Pbkdf2Sha256, iterations, new byte[saltLength]).EnsureAcceptable();
    }

    [Theory]
    [InlineData(599_999)]
    [InlineData(1_000)]
    [InlineData(0)]
    [InlineData(-1)]
    public void Too_few_iterations_are_refused_with_the_minimum_in_the_message(int iterations)
    {
        var parameters = new KdfParameters(KdfParameters.Pbkdf2Sha256, iterations, Salt);

        var exception = Assert.Throws<WeakKdfParametersException>(parameters.EnsureAcceptable);
        Assert.Equal($"The server asked for {iterations} PBKDF2 iterations; this client requires at least 600000.", exception.Message);
    }

    /// <summary>Issue 13, finding 15a: no upper bound made a client spin for as long as a server liked.</summary>
    [Theory]
    [InlineData(10_000_001)]
    [InlineData(int.MaxValue)]
    public void Too_many_iterations_are_refused_before_any_work(int iterations)
    {
        var parameters = new KdfParameters(KdfParameters.Pbkdf2Sha256, iterations, Salt);

        var exception = Assert.Throws<WeakKdfParametersException>(parameters.EnsureAcceptable);
        Assert.Equal($"The server asked for {iterations} PBKDF2 iterations; this client does at most 10000000.", exception.Message);
        new KdfParameters(KdfParameters.Pbkdf2Sha256, KdfParameters.MaximumIterations, Salt).EnsureAcceptable();
    }

    [Theory]
    [InlineData("PBKDF2-SHA1")]
    [InlineData("pbkdf2-sha256")]
    [InlineData("argon2id")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_algorithms_are_refused(string? algorithm)
    {
        var parameters = new KdfParameters(algorithm!, KdfParameters.DefaultIterations, Salt);

        var exception = Assert.Throws<WeakKdfParametersException>(parameters.EnsureAcceptable);
        Assert.Equal("The server asked for an unsupported key-derivation algorithm; this client supports only PBKDF2-SHA256.", exception.Message);
    }

    [Theory]
    [InlineData(0, "The server sent a KDF salt of 0 bytes; this client requires at least 16.")]
    [InlineData(8, "The server sent a KDF salt of 8 bytes; this client requires at least 16.")]
    [InlineData(15, "The server sent a KDF salt of 15 bytes; this client requires at least 16.")]
    [InlineData(65, "The server sent a KDF salt of 65 bytes; this client accepts at most 64.")]
    public void Salts_outside_16_to_64_bytes_are_refused(int saltLength, string message)
    {
        var parameters = new KdfParameters(KdfParameters.Pbkdf2Sha256, KdfParameters.DefaultIterations, new byte[saltLength]);

        var exception = Assert.Throws<WeakKdfParametersException>(parameters.EnsureAcceptable);
        Assert.Equal(message, exception.Message);
    }

    [Fact]
    public void A_missing_salt_is_refused()
    {
        var parameters = new KdfParameters(KdfParameters.Pbkdf2Sha256, KdfParameters.DefaultIterations, null!);

        Assert.Throws<WeakKdfParametersException>(parameters.EnsureAcceptable);
    }

    [Fact]
    public void WeakKdfParametersException_is_a_CryptographicException()
    {
        Assert.IsAssignableFrom<CryptographicException>(new WeakKdfParametersException("x"));
    }
}
