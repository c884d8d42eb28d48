using System.Text;

namespace Polydev.Crypto.Tests;

public sealed class PasswordEncodingTests
{
    [Theory]
    [InlineData("Cafe\u0301", "Caf\u00E9")]                 // combining acute accent composes
    [InlineData("\u212B", "\u00C5")]                        // ANGSTROM SIGN is a singleton: NFC replaces it
    [InlineData("\u1112\u1161\u11AB", "\uD55C")]            // Hangul jamo compose algorithmically
    [InlineData("A\u030A", "\u00C5")]
    [InlineData("plain ascii", "plain ascii")]
    public void Passwords_are_NFC_then_UTF8(string typed, string nfc)
    {
        Assert.Equal(Encoding.UTF8.GetBytes(nfc), PasswordEncoding.ToNfcUtf8(typed));
    }

    [Fact]
    public void Compatibility_forms_are_not_folded()
    {
        // NFC, not NFKC: the "fi" ligature stays a ligature, as in the browser's normalize("NFC").
        Assert.Equal(Encoding.UTF8.GetBytes("\uFB01"), PasswordEncoding.ToNfcUtf8("\uFB01"));
    }

    [Fact]
    public void Ascii_passwords_need_no_normalization_support()
    {
        Assert.Equal("hunter2"u8.ToArray(), PasswordEncoding.ToNfcUtf8("hunter2", normalizationAvailable: false));
    }

    [Fact]
    public void Non_ascii_passwords_are_refused_when_the_process_cannot_normalize()
    {
        var exception = Assert.Throws<PlatformNotSupportedException>(
            () => PasswordEncoding.ToNfcUtf8("Caf\u00E9-secret", normalizationAvailable: false));

        Assert.Contains("InvariantGlobalization", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void This_test_process_can_normalize()
    {
        // Guards the test project's InvariantGlobalization=false: without it the NFC tests would prove nothing.
        Assert.Equal("\u00E9", "e\u0301".Normalize(NormalizationForm.FormC));
    }

    [Fact]
    public void Unpaired_surrogates_are_refused_without_echoing_the_password()
    {
        var exception = Assert.Throws<ArgumentException>(() => PasswordEncoding.ToNfcUtf8("secret\uD800"));

        Assert.DoesNotContain("secret", exception.Message, StringComparison.Ordinal);
    }
}
