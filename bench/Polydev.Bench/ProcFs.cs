using System.Globalization;

namespace Polydev.Bench;

/// <summary>The kernel's process files under <c>/proc</c>, read the one way the benchmarks need them.</summary>
internal static class ProcFs
{
    /// <summary>The value after <c>key:</c> in a "Key: value" file (<c>/proc/PID/status</c>, <c>/proc/meminfo</c>), trimmed.</summary>
    /// <exception cref="InvalidOperationException">The file has no such line.</exception>
    public static string Field(string path, string key) =>
        FieldIn(File.ReadLines(path), key) ?? throw new InvalidOperationException($"{path} has no {key}");

    /// <summary>A field given in kB (<c>VmRSS: 1234 kB</c>), as KiB.</summary>
    public static long KiB(string path, string key) => long.Parse(Field(path, key).Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>
    /// The fields of <c>/proc/PID/stat</c> after the command name, state first (so the parent id is [1], user
    /// and system time [11] and [12]); null when the process is gone.
    /// </summary>
    public static string[]? StatFields(int processId)
    {
        if (TryRead($"/proc/{processId}/stat") is not { } stat)
        {
            return null;
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields start after the last ')'.
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    /// <summary>A whole file, or null when it vanished (or was never readable) while we looked: processes end.</summary>
    public static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary><see cref="Field"/> over lines already read.</summary>
    public static string? FieldIn(IEnumerable<string> lines, string key)
    {
        var prefix = key + ":";
        return lines.FirstOrDefault(line => line.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
    }
}
