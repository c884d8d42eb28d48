using Polydev.Server.Http;

namespace Polydev.Server.Vault;

/// <summary>
/// SQL fragments and trimming for keyset pages over (created_at, id). Stores fetch one row more
/// than asked, so whether another page exists is known without a count.
/// </summary>
public static class KeysetPage
{
    public const string After = "(@afterCreatedAt IS NULL OR created_at > @afterCreatedAt OR (created_at = @afterCreatedAt AND id > @afterId))";
    public const string Before = "(@afterCreatedAt IS NULL OR created_at < @afterCreatedAt OR (created_at = @afterCreatedAt AND id < @afterId))";

    public static object Parameters(PageRequest page) => new
    {
        afterCreatedAt = page.After?.CreatedAt,
        afterId = page.After?.Id.ToString("D"),
        take = page.Limit + 1,
    };

    public static (IReadOnlyList<T> Items, string? NextCursor) Trim<T>(List<T> rows, PageRequest page, Func<T, (long CreatedAt, string Id)> key)
    {
        if (rows.Count <= page.Limit)
        {
            return (rows, null);
        }

        rows.RemoveAt(rows.Count - 1);
        var (createdAt, id) = key(rows[^1]);
        return (rows, new Cursor(createdAt, Guid.Parse(id)).ToString());
    }
}
