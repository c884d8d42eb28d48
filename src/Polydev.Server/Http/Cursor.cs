using System.Buffers.Text;
using System.Text;

namespace Polydev.Server.Http;

/// <summary>
/// Keyset pagination position: the (created_at, id) of the last item of a page, opaque to
/// callers. Keyset rather than offset so that concurrent inserts never shift or repeat items.
/// </summary>
public readonly record struct Cursor(long CreatedAt, Guid Id)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public override string ToString() =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"{CreatedAt}:{Id:D}"));

    public static bool TryParse(string? text, out Cursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        try
        {
            var raw = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text));
            var colon = raw.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && long.TryParse(raw.AsSpan(0, colon), out var createdAt) && Guid.TryParseExact(raw.AsSpan(colon + 1), "D", out var id))
            {
                cursor = new Cursor(createdAt, id);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}

/// <summary>Checks the <c>limit</c> and <c>cursor</c> query parameters every list endpoint takes.</summary>
public readonly record struct PageRequest(int Limit, Cursor? After)
{
    public static bool TryCreate(int? limit, string? cursor, RequestErrors errors, out PageRequest page)
    {
        page = default;
        var effectiveLimit = limit ?? Cursor.DefaultLimit;
        if (effectiveLimit is < 1 or > Cursor.MaxLimit)
        {
            errors.Add("limit", $"limit must be between 1 and {Cursor.MaxLimit}.");
        }

        if (!Cursor.TryParse(cursor, out var after))
        {
            errors.Add("cursor", "cursor is not one this server issued; pass the nextCursor of the previous page.");
        }

        if (errors.Any)
        {
            return false;
        }

        page = new PageRequest(effectiveLimit, after);
        return true;
    }
}
