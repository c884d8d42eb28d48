using System.Text;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The forms a secret could leak in: its UTF-8 text or raw bytes, hex, and base64 (standard and url-safe) at each of
/// the three byte alignments, so base64 of a larger blob that contains the secret is caught too.
/// </summary>
public sealed class Needles
{
    private readonly List<(string Name, string Text)> _texts = [];
    private readonly List<(string Name, byte[] Bytes)> _bytes = [];

    public static string Canary(string what) => $"canary-{what}-{Guid.NewGuid():N}";

    public Needles AddText(string name, string secret) => AddBytes(name, Encoding.UTF8.GetBytes(secret), includeText: true);

    public Needles AddBytes(string name, byte[] secret, bool includeText = false)
    {
        if (includeText)
        {
            _texts.Add((name, Encoding.UTF8.GetString(secret)));
        }

        _bytes.Add((name + " (raw bytes)", secret));
        _texts.Add((name + " (hex)", Convert.ToHexString(secret)));
        _texts.Add((name + " (hex)", Convert.ToHexStringLower(secret)));
        foreach (var base64 in AlignedBase64(secret))
        {
            _texts.Add((name + " (base64)", base64));
            _texts.Add((name + " (base64url)", base64.Replace('+', '-').Replace('/', '_')));
        }

        return this;
    }

    /// <summary>Fails with the needle's name (never its value) and where it was found.</summary>
    public void AssertAbsentFrom(string haystackName, string haystack)
    {
        var found = FoundIn(haystack);
        Assert.True(found.Count == 0, $"{string.Join(", ", found)} found in {haystackName}.");
    }

    public void AssertAbsentFrom(string haystackName, IEnumerable<byte[]> haystacks)
    {
        var found = FoundIn(haystacks);
        Assert.True(found.Count == 0, $"{string.Join(", ", found)} found in {haystackName}.");
    }

    /// <summary>The names (never the values) of the needles in <paramref name="haystack"/>.</summary>
    public IReadOnlyList<string> FoundIn(string haystack) =>
        [.. _texts.Where(t => haystack.Contains(t.Text, StringComparison.Ordinal)).Select(t => t.Name)];

    public IReadOnlyList<string> FoundIn(IEnumerable<byte[]> haystacks)
    {
        var all = haystacks.ToList();
        return [.. _bytes.Concat(_texts.Select(t => (t.Name, Bytes: Encoding.UTF8.GetBytes(t.Text))))
            .Where(needle => all.Any(h => h.AsSpan().IndexOf(needle.Item2) >= 0))
            .Select(needle => needle.Item1)];
    }

    /// <summary>
    /// Base64 of the secret as it would appear inside a longer encoding, at offsets 0, 1 and 2 mod 3: the 4-character
    /// groups that mix in neighbouring bytes are cut off, what remains is fixed by the secret alone.
    /// </summary>
    private static IEnumerable<string> AlignedBase64(byte[] secret)
    {
        for (var offset = 0; offset < 3; offset++)
        {
            var padded = new byte[offset + secret.Length];
            secret.CopyTo(padded, offset);
            var encoded = Convert.ToBase64String(padded);
            var start = offset == 0 ? 0 : 4;
            var fullGroups = (offset + secret.Length) / 3 * 4;
            if (fullGroups - start >= 16)
            {
                yield return encoded[start..fullGroups];
            }
        }

        yield return Convert.ToBase64String(secret);
    }
}
