namespace Polydev.Client.Verbs;

/// <summary>Finds a record by its full id or a unique start of it, as git does with commit hashes.</summary>
internal static class IdPrefix
{
    public static bool Matches(Guid id, string text) =>
        Guid.TryParse(text, out var full) ? id == full : text.Length > 0 && id.ToString("D").StartsWith(text.Trim().ToLowerInvariant(), StringComparison.Ordinal);

    /// <param name="what">The record type, for messages ("credential").</param>
    /// <param name="listVerb">The verb that lists them, for messages ("polydev credentials list").</param>
    public static T Single<T>(IEnumerable<T> items, Func<T, Guid> id, string text, string what, string listVerb)
    {
        var matches = items.Where(item => Matches(id(item), text)).Take(2).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CliException($"no {what} has this id or id prefix; see `{listVerb}`."),
            _ => throw new CliException($"more than one {what} has an id starting like this; give more of it (see `{listVerb}`)."),
        };
    }
}
