using System.Text;
using System.Text.RegularExpressions;

namespace Polydev.Crypto.Tests;

public sealed partial class RecoveryCodeTests
{
    // 20 bytes 0x00..0x13; base32 of them, checked independently below.
    private static readonly byte[] KnownBytes = [.. Enumerable.Range(0, 20).Select(i => (byte)i)];
    private const string KnownCode = "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQT";

    [GeneratedRegex("^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$")]
    private static partial Regex DisplayFormat();

    [Fact]
    public void ToString_is_base32_in_eight_groups_of_four()
    {
        Assert.Equal(KnownCode, RecoveryCode.FromBytes(KnownBytes).ToString());
        Assert.Matches(DisplayFormat(), RecoveryCode.Generate().ToString());
    }

    [Fact]
    public void ToString_agrees_with_an_independent_RFC4648_encoding()
    {
        // RFC 4648 section 10 test vector "fooba" -> "MZXW6YTB", extended to 20 bytes by repetition.
        byte[] bytes = [.. Enumerable.Repeat("fooba"u8.ToArray(), 4).SelectMany(b => b)];

        Assert.Equal("MZXW-6YTB-MZXW-6YTB-MZXW-6YTB-MZXW-6YTB", RecoveryCode.FromBytes(bytes).ToString());
    }

    [Fact]
    public void Generated_codes_differ()
    {
        Assert.NotEqual(RecoveryCode.Generate().ToString(), RecoveryCode.Generate().ToString());
    }

    [Theory]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQT")]
    [InlineData("aaaq-eaye-auda-ocaj-bifq-ydio-b4ib-ceqt")]
    [InlineData("AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT")]
    [InlineData("aaaq eaye auda ocaj bifq ydio b4ib ceqt")]
    [InlineData("  AaAq-EaYe AUDA--OCAJ\tBIFQ-YDIO\nB4IB-CEQT  ")]
    public void Parse_tolerates_case_spaces_and_dashes(string text)
    {
        RecoveryCode parsed = RecoveryCode.Parse(text);

        Assert.Equal(KnownCode, parsed.ToString());
    }

    [Fact]
    public void Parse_round_trips_a_generated_code_and_its_keys()
    {
        RecoveryCode code = RecoveryCode.Generate();
        RecoveryCode parsed = RecoveryCode.Parse(code.ToString());

        Assert.Equal(code.DeriveWrappingKey(), parsed.DeriveWrappingKey());
        Assert.Equal(code.DeriveAuthKey(), parsed.DeriveAuthKey());
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ", 31)]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQTA", 33)]
    public void Parse_rejects_the_wrong_length_without_echoing_the_input(string text, int count)
    {
        var exception = Assert.Throws<FormatException>(() => RecoveryCode.Parse(text));

        Assert.Equal($"A recovery code has 32 letters and digits (8 groups of 4); the text entered has {count}.", exception.Message);
    }

    [Theory]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ0")]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ1")]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ8")]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ=")]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ\u00C9")]
    [InlineData("AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ\u0131")] // dotless i must not fold to I
    public void Parse_rejects_characters_outside_the_alphabet_without_echoing_the_input(string text)
    {
        var exception = Assert.Throws<FormatException>(() => RecoveryCode.Parse(text));

        Assert.Equal("A recovery code contains only the letters A-Z and the digits 2-7 (0, 1, 8 and 9 never appear).", exception.Message);
        Assert.DoesNotContain("AAAQ", exception.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Parse_rejects_null()
    {
        Assert.Throws<ArgumentNullException>(() => RecoveryCode.Parse(null!));
    }

    [Fact]
    public void Derived_keys_are_HKDF_SHA256_of_the_20_bytes_with_their_labels()
    {
        RecoveryCode code = RecoveryCode.FromBytes(KnownBytes);

        Assert.Equal(HKDF.DeriveKey(HashAlgorithmName.SHA256, KnownBytes, 32, [], Encoding.UTF8.GetBytes("polydev/recovery-kek")), code.DeriveWrappingKey());
        Assert.Equal(HKDF.DeriveKey(HashAlgorithmName.SHA256, KnownBytes, 32, [], Encoding.UTF8.GetBytes("polydev/recovery-auth")), code.DeriveAuthKey());
        Assert.NotEqual(code.DeriveWrappingKey(), code.DeriveAuthKey());
    }
}
