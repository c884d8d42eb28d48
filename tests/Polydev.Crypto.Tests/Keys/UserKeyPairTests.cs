using static Polydev.Crypto.Tests.Support.VectorJson;

namespace Polydev.Crypto.Tests;

public sealed class UserKeyPairTests
{
    [Fact]
    public void Generated_public_key_is_a_65_byte_uncompressed_point()
    {
        using UserKeyPair keyPair = UserKeyPair.Generate();

        Assert.Equal(65, keyPair.PublicKey.Length);
        Assert.Equal(0x04, keyPair.PublicKey[0]);
        Assert.True(UserKeyPair.IsValidPublicKey(keyPair.PublicKey));
    }

    [Fact]
    public void PublicKey_returns_a_copy()
    {
        using UserKeyPair keyPair = UserKeyPair.Generate();
        string before = Hex(keyPair.PublicKey);

        keyPair.PublicKey[10] ^= 0xFF;

        Assert.Equal(before, Hex(keyPair.PublicKey));
    }

    [Fact]
    public void Pkcs8_round_trips_and_the_imported_key_opens_sealed_boxes()
    {
        using UserKeyPair original = UserKeyPair.Generate();
        byte[] sealedBox = SealedBox.Seal(original.PublicKey, "credential"u8, "credential");

        using UserKeyPair imported = UserKeyPair.ImportPkcs8(original.ExportPkcs8());

        Assert.Equal(Hex(original.PublicKey), Hex(imported.PublicKey));
        Assert.Equal("credential"u8.ToArray(), SealedBox.Open(imported, sealedBox, "credential"));
    }

    [Fact]
    public void ImportPkcs8_accepts_the_layout_web_crypto_exports()
    {
        // PrivateKeyInfo { v0, ecPublicKey/prime256v1, ECPrivateKey { v1, d, [1] publicKey } }, no [0] parameters:
        // what crypto.subtle.exportKey("pkcs8", ...) produces for P-256.
        byte[] scalar = Convert.FromHexString("f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2");
        byte[] publicKey = Convert.FromHexString(
            "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0");
        byte[] pkcs8 =
        [
            .. Convert.FromHexString("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420"),
            .. scalar,
            .. Convert.FromHexString("a144034200"),
            .. publicKey,
        ];

        using UserKeyPair imported = UserKeyPair.ImportPkcs8(pkcs8);

        Assert.Equal(Hex(publicKey), Hex(imported.PublicKey));
    }

    [Fact]
    public void ImportPkcs8_rejects_garbage_trailing_bytes_and_other_curves()
    {
        using UserKeyPair keyPair = UserKeyPair.Generate();
        using ECDiffieHellman p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);

        Assert.ThrowsAny<CryptographicException>(() => UserKeyPair.ImportPkcs8([0x30, 0x03, 0x02, 0x01, 0x00]));
        Assert.ThrowsAny<CryptographicException>(() => UserKeyPair.ImportPkcs8([.. keyPair.ExportPkcs8(), 0x00]));
        var exception = Assert.ThrowsAny<CryptographicException>(() => UserKeyPair.ImportPkcs8(p384.ExportPkcs8PrivateKey()));
        Assert.Equal("The PKCS#8 private key is not a P-256 key.", exception.Message);
    }

    [Fact]
    public void ExportPkcs8_after_Dispose_throws()
    {
        UserKeyPair keyPair = UserKeyPair.Generate();
        keyPair.Dispose();

        Assert.Throws<ObjectDisposedException>(() => keyPair.ExportPkcs8());
    }

    public static TheoryData<string, string> InvalidPublicKeys()
    {
        // pkRm from RFC 9180 A.3.1, a known-good point, altered in each way.
        byte[] good = Convert.FromHexString(
            "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0");
        byte[] offCurve = (byte[])good.Clone();
        offCurve[^1] ^= 0x01;
        byte[] wrongPrefix = (byte[])good.Clone();
        wrongPrefix[0] = 0x05;

        return new TheoryData<string, string>
        {
            { "off the curve", Hex(offCurve) },
            { "wrong prefix", Hex(wrongPrefix) },
            { "compressed form", Hex([0x02, .. good.AsSpan(1, 32)]) },
            { "missing prefix", Hex(good.AsSpan(1)) },
            { "one byte too long", Hex([.. good, 0x00]) },
            { "all zero coordinates", Hex([0x04, .. new byte[64]]) },
            { "empty", "" },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidPublicKeys))]
    public void IsValidPublicKey_rejects(string why, string publicKeyHex)
    {
        Assert.False(UserKeyPair.IsValidPublicKey(Convert.FromHexString(publicKeyHex)), why);
    }
}
