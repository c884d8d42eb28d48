namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// The host's own Debian mirror, read from its apt sources (deb822 <c>/etc/apt/sources.list.d/*.sources</c> and
/// one-line <c>sources.list</c> files), so an air-gapped host's debootstrap uses the mirror apt already uses.
/// </summary>
public static class AptSources
{
    /// <summary>The URI of the first enabled <c>deb</c> source that carries <paramref name="suite"/> itself (not -updates or -security).</summary>
    public static string? FindMirror(string suite, string aptDirectory = "/etc/apt")
    {
        var files = new List<string>();
        var list = Path.Combine(aptDirectory, "sources.list");
        if (File.Exists(list))
        {
            files.Add(list);
        }

        var parts = Path.Combine(aptDirectory, "sources.list.d");
        if (Directory.Exists(parts))
        {
            files.AddRange(Directory.EnumerateFiles(parts).Where(f => f.EndsWith(".sources", StringComparison.Ordinal) || f.EndsWith(".list", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }

        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var mirror = file.EndsWith(".sources", StringComparison.Ordinal) ? FromDeb822(text, suite) : FromOneLine(text, suite);
            if (mirror is not null)
            {
                return mirror;
            }
        }

        return null;
    }

    /// <summary>deb822 paragraphs: <c>Types: deb</c>, <c>URIs:</c>, <c>Suites:</c>, optional <c>Enabled: no</c>.</summary>
    public static string? FromDeb822(string text, string suite)
    {
        foreach (var paragraph in text.Replace("\r", "").Split("\n\n"))
        {
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in paragraph.Split('\n'))
            {
                if (line.StartsWith('#') || line.StartsWith(' ') || line.StartsWith('\t'))
                {
                    continue;
                }

                var colon = line.IndexOf(':');
                if (colon > 0)
                {
                    fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                }
            }

            if (Words(fields.GetValueOrDefault("Types")).Contains("deb")
                && Words(fields.GetValueOrDefault("Suites")).Contains(suite)
                && !string.Equals(fields.GetValueOrDefault("Enabled"), "no", StringComparison.OrdinalIgnoreCase)
                && Words(fields.GetValueOrDefault("URIs")).FirstOrDefault(IsUsable) is { } uri)
            {
                return uri;
            }
        }

        return null;
    }

    /// <summary>One-line form: <c>deb [options] uri suite component...</c>.</summary>
    public static string? FromOneLine(string text, string suite)
    {
        foreach (var raw in text.Replace("\r", "").Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("deb ", StringComparison.Ordinal) && !line.StartsWith("deb\t", StringComparison.Ordinal))
            {
                continue;
            }

            line = line[3..].Trim();
            if (line.StartsWith('['))
            {
                var close = line.IndexOf(']');
                if (close < 0)
                {
                    continue;
                }

                line = line[(close + 1)..].Trim();
            }

            var words = Words(line);
            if (words.Length >= 2 && words[1] == suite && IsUsable(words[0]))
            {
                return words[0];
            }
        }

        return null;
    }

    private static string[] Words(string? value) =>
        (value ?? "").Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    private static bool IsUsable(string uri) =>
        uri.StartsWith("http://", StringComparison.Ordinal) || uri.StartsWith("https://", StringComparison.Ordinal) || uri.StartsWith("file:", StringComparison.Ordinal);
}
