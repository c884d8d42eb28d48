namespace Polydev.Agent.Login.Input;

/// <summary>
/// A browser key (<c>KeyboardEvent.key</c>, with <c>code</c> to tell left from right modifiers) as an X keysym:
/// named keys from a table, one character as its Latin-1 keysym or the Unicode keysym range (<c>0x01000000 + code point</c>).
/// </summary>
internal static class Keysyms
{
    private static readonly Dictionary<string, uint> Named = new(StringComparer.Ordinal)
    {
        ["Enter"] = 0xff0d, ["Backspace"] = 0xff08, ["Tab"] = 0xff09, ["Escape"] = 0xff1b, ["Delete"] = 0xffff,
        ["Insert"] = 0xff63, ["Home"] = 0xff50, ["End"] = 0xff57, ["PageUp"] = 0xff55, ["PageDown"] = 0xff56,
        ["ArrowLeft"] = 0xff51, ["ArrowUp"] = 0xff52, ["ArrowRight"] = 0xff53, ["ArrowDown"] = 0xff54,
        ["CapsLock"] = 0xffe5, ["ContextMenu"] = 0xff67, ["Pause"] = 0xff13, ["PrintScreen"] = 0xff61,
        ["Shift"] = 0xffe1, ["Control"] = 0xffe3, ["Alt"] = 0xffe9, ["Meta"] = 0xffeb, ["AltGraph"] = 0xfe03,
    };

    private static readonly Dictionary<string, uint> RightModifiers = new(StringComparer.Ordinal)
    {
        ["ShiftRight"] = 0xffe2, ["ControlRight"] = 0xffe4, ["AltRight"] = 0xffea, ["MetaRight"] = 0xffec,
    };

    /// <summary>The keysym, or null for a key the remote display has no use for (<c>Unidentified</c>, dead keys).</summary>
    public static uint? From(string? key, string? code)
    {
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        if (code is not null && RightModifiers.TryGetValue(code, out uint right) && Named.ContainsKey(key))
        {
            return right;
        }

        if (Named.TryGetValue(key, out uint named))
        {
            return named;
        }

        if (key.Length > 1 && key[0] == 'F' && int.TryParse(key.AsSpan(1), out int f) && f is >= 1 and <= 24)
        {
            return (uint)(0xffbe + f - 1);
        }

        var runes = key.EnumerateRunes();
        if (!runes.MoveNext())
        {
            return null;
        }

        int codePoint = runes.Current.Value;
        if (runes.MoveNext())
        {
            return null;
        }

        return codePoint is >= 0x20 and <= 0x7e or >= 0xa0 and <= 0xff ? (uint)codePoint : 0x01000000u + (uint)codePoint;
    }
}
