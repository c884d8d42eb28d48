namespace Polydev.Contracts.Login;

/// <summary>
/// One input event from the viewer on the stream's data channel (already encrypted by DTLS), or one notice back from
/// the agent (clipboard contents, cursor shape, screen size). Coordinates are screen pixels of the remote display.
/// </summary>
public sealed class LoginInput
{
    /// <summary><see cref="LoginInputTypes"/>.</summary>
    public string T { get; set; } = "";

    public int? X { get; set; }

    public int? Y { get; set; }

    /// <summary>Mouse button: 1 left, 2 middle, 3 right (X11 numbering).</summary>
    public int? Button { get; set; }

    public bool? Down { get; set; }

    /// <summary>Wheel steps: positive is down / right.</summary>
    public int? Dx { get; set; }

    public int? Dy { get; set; }

    /// <summary>KeyboardEvent.key of a key event.</summary>
    public string? Key { get; set; }

    /// <summary>KeyboardEvent.code of a key event.</summary>
    public string? Code { get; set; }

    /// <summary>Text: what to paste, or the remote clipboard's contents.</summary>
    public string? Text { get; set; }

    /// <summary>A cursor's CSS name.</summary>
    public string? Cursor { get; set; }

    public int? Width { get; set; }

    public int? Height { get; set; }
}

/// <summary>The input channel's message types.</summary>
public static class LoginInputTypes
{
    public const string Move = "move";
    public const string Button = "button";
    public const string Wheel = "wheel";
    public const string Key = "key";

    /// <summary>Viewer → agent: put text on the remote clipboard and paste it (Ctrl+V).</summary>
    public const string Paste = "paste";

    /// <summary>Viewer → agent: send the remote clipboard's contents.</summary>
    public const string Copy = "copy";

    /// <summary>Viewer → agent: change the remote screen's size.</summary>
    public const string Resize = "resize";

    /// <summary>Agent → viewer: the remote clipboard's contents.</summary>
    public const string Clipboard = "clipboard";

    /// <summary>Agent → viewer: the pointer's shape changed.</summary>
    public const string Cursor = "cursor";

    /// <summary>Agent → viewer: the remote screen's size.</summary>
    public const string Size = "size";
}
