using System.Diagnostics;
using System.Text;

namespace Polydev.Crypto.Tests;

public sealed class MasterKeyTests
{
    private static readonly byte[] Salt = SHA256.HashData("master key test salt"u8)[..16];

    [Fact]
    public void Decomposed_and_composed_passwords_derive_the_same_master_key()
    {
        var parameters = new KdfParameters(KdfParameters.Pbkdf2Sha256, KdfParameters.DefaultIterations, Salt);

        byte[] decomposed = MasterKey.Derive("Cafe\u0301", parameters);
        byte[] composed = MasterKey.Derive("Caf\u00E9", parameters);

        Assert.Equal(MasterKey.Length, composed.Length);
        Assert.Equal(composed, decomposed);
    }

    [Fact]
    public void Derive_is_PBKDF2_HMAC_SHA256_of_the_UTF8_password()
    {
        var parameters = new KdfParameters(KdfParameters.Pbkdf2Sha256, KdfParameters.DefaultIterations, Salt);

        byte[] expected = Rfc2898DeriveBytes.Pbkdf2("hunter2"u8, Salt, 600_000, HashAlgorithmName.SHA256, 32);

        Assert.Equal(expected, MasterKey.Derive("hunter2", parameters));
    }

    // Each case would take hours if PBKDF2 ran before the check: finishing at all proves the check comes first.
    public static TheoryData<KdfParameters> WeakParametersWithHugeWork => new()
    {
        new KdfParameters("PBKDF2-SHA1", int.MaxValue, new byte[16]),
        new KdfParameters(KdfParameters.Pbkdf2Sha256, int.MaxValue, new byte[8]),
        new KdfParameters(KdfParameters.Pbkdf2Sha256, int.MaxValue, new byte[65]),
    };

    [Theory]
    [MemberData(nameof(WeakParametersWithHugeWork))]
    public void Derive_refuses_weak_parameters_before_deriving(KdfParameters parameters)
    {
        var stopwatch = Stopwatch.StartNew();

        Assert.Throws<WeakKdfParametersException>(() => MasterKey.Derive("password", parameters));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Derive_refuses_599999_iterations()
    {
        var parameters = new KdfParameters(KdfParameters.Pbkdf2Sha256, 599_999, Salt);

        Assert.Throws<WeakKdfParametersException>(() => MasterKey.Derive("password", parameters));
    }

    [Fact]
    public void AuthKey_and_Kek_are_HKDF_SHA256_with_empty_salt_and_their_labels()
    {
        byte[] masterKey = SHA256.HashData("some master key"u8);

        byte[] authKey = MasterKey.DeriveAuthKey(masterKey);
        byte[] kek = MasterKey.DeriveKek(masterKey);

        Assert.Equal(HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 32, [], Encoding.UTF8.GetBytes("polydev/auth")), authKey);
        Assert.Equal(HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 32, [], Encoding.UTF8.GetBytes("polydev/kek")), kek);
        Assert.NotEqual(authKey, kek);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void Subkey_derivation_requires_a_32_byte_master_key(int length)
    {
        Assert.Throws<ArgumentException>(() => MasterKey.DeriveAuthKey(new byte[length]));
        Assert.Throws<ArgumentException>(() => MasterKey.DeriveKek(new byte[length]));
    }
}
