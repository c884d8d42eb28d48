namespace Polydev.Client.Verbs;

/// <summary>
/// Ids as git treats commit hashes: lists show each record's shortest unique start (at least <see cref="Minimum"/>
/// characters), and any unique start finds it. Record ids are UUIDv7s, whose first characters are their creation
/// time, so records made close together share long starts: the length shown grows until it tells them apart.
/// </summary>
internal static class IdPrefix
{
    /// <summary>The fewest characters shown: eight hex digits (a UUIDv7's first 32 bits of time).</summary>
    public const int Minimum = 8;

    public static bool Matches(Guid id, string text) =>
        Guid.TryParse(text, out var full) ? id == full : text.Trim().Length > 0 && id.ToString("D").StartsWith(text.Trim().ToLowerInvariant(), StringComparison.Ordinal);

    /// <summary>Each id's shortest start that no other of <paramref name="ids"/> has (at least <see cref="Minimum"/> characters).</summary>
    public static Func<Guid, string> Shortest(IEnumerable<Guid> ids)
    {
        var all = ids.Select(id => id.ToString("D")).Distinct().Order(StringComparer.Ordinal).ToList();
        var shortest = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < all.Count; i++)
        {
            // In sorted order the longest start an id shares is with a neighbour: one more character tells it apart.
            var shared = Math.Max(i > 0 ? Common(all[i], all[i - 1]) : 0, i + 1 < all.Count ? Common(all[i], all[i + 1]) : 0);
            var length = Math.Max(Minimum, shared + 1);
            if (length < all[i].Length && all[i][length - 1] == '-')
            {
                length++; // never end on a dash
            }

            shortest[all[i]] = all[i][..Math.Min(length, all[i].Length)];
        }

        return id => shortest.TryGetValue(id.ToString("D"), out var prefix) ? prefix : id.ToString("D");
    }

    /// <param name="what">The record type, for messages ("credential").</param>
    /// <param name="listVerb">The verb that lists them, for messages ("polydev credentials list").</param>
    /// <param name="describe">What tells a candidate apart for people (a label, a title), for the ambiguity error.</param>
    public static T Single<T>(IEnumerable<T> items, Func<T, Guid> id, string text, string what, string listVerb, Func<T, string>? describe = null)
    {
        var list = items.ToList();
        var matches = list.Where(item => Matches(id(item), text)).ToList();
        if (matches.Count == 1)
        {
            return matches[0];
        }

        if (matches.Count == 0)
        {
            throw new CliException($"no {what} has this id or id prefix; see `{listVerb}`.");
        }

        var shortest = Shortest(list.Select(id));
        var candidates = string.Join(", ", matches.Take(5).Select(m => describe is null ? shortest(id(m)) : $"{shortest(id(m))} ({Terminal.Output.OneLine(describe(m))})"));
        throw new CliException($"{matches.Count} {what}s start with '{text.Trim()}': {candidates}{(matches.Count > 5 ? ", …" : "")}; give more of the id.");
    }

    private static int Common(string a, string b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n])
        {
            n++;
        }

        return n;
    }
}
