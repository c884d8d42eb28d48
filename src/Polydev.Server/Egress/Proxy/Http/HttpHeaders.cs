namespace Polydev.Server.Egress.Proxy;

/// <summary>Header fields in the order received; names compared case-insensitively.</summary>
internal sealed class HttpHeaders : List<KeyValuePair<string, string>>
{
    public string? Get(string name)
    {
        foreach (var (key, value) in this)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    public int CountOf(string name)
    {
        var count = 0;
        foreach (var (key, _) in this)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>True when any field <paramref name="name"/> lists <paramref name="token"/> (comma-separated, any case).</summary>
    public bool HasToken(string name, string token)
    {
        foreach (var (key, value) in this)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (part.Equals(token, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>The field names listed in <c>Connection</c>: hop-by-hop by the sender's choice.</summary>
    public HashSet<string> ConnectionOptions()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in this)
        {
            if (key.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    names.Add(part);
                }
            }
        }

        return names;
    }
}
