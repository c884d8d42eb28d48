namespace Polydev.Agent.Login.Cursors;

/// <summary>
/// The CSS cursors the viewer can show, each with the names a cursor theme may file it under: its CSS name first (what
/// current themes such as Adwaita use), then the older X names Chromium falls back to. The order is the precedence
/// where a theme draws two CSS cursors alike (<c>move</c> and <c>all-scroll</c> are both the fleur in Adwaita).
/// </summary>
internal static class CssCursors
{
    public const string Default = "default";

    /// <summary>Shown for a cursor with no visible pixel (CSS <c>cursor: none</c>); told by its pixels, not by a theme.</summary>
    public const string None = "none";

    public static IReadOnlyList<(string Css, string[] ThemeNames)> All { get; } =
    [
        (Default, ["default", "left_ptr", "arrow", "top_left_arrow"]),
        ("pointer", ["pointer", "hand2", "hand"]),
        ("text", ["text", "xterm", "ibeam"]),
        ("wait", ["wait", "watch"]),
        ("progress", ["progress", "left_ptr_watch", "half-busy"]),
        ("crosshair", ["crosshair", "cross", "tcross"]),
        ("move", ["move", "fleur"]),
        ("not-allowed", ["not-allowed", "crossed_circle"]),
        ("grab", ["grab", "openhand", "hand1"]),
        ("grabbing", ["grabbing", "closedhand"]),
        ("ew-resize", ["ew-resize", "sb_h_double_arrow", "h_double_arrow"]),
        ("ns-resize", ["ns-resize", "sb_v_double_arrow", "v_double_arrow"]),
        ("nwse-resize", ["nwse-resize", "bd_double_arrow", "size_fdiag"]),
        ("nesw-resize", ["nesw-resize", "fd_double_arrow", "size_bdiag"]),
        ("col-resize", ["col-resize", "split_h"]),
        ("row-resize", ["row-resize", "split_v"]),
        ("n-resize", ["n-resize", "top_side"]),
        ("e-resize", ["e-resize", "right_side"]),
        ("s-resize", ["s-resize", "bottom_side"]),
        ("w-resize", ["w-resize", "left_side"]),
        ("ne-resize", ["ne-resize", "top_right_corner"]),
        ("nw-resize", ["nw-resize", "top_left_corner"]),
        ("se-resize", ["se-resize", "bottom_right_corner"]),
        ("sw-resize", ["sw-resize", "bottom_left_corner"]),
        ("help", ["help", "question_arrow", "whats_this"]),
        ("context-menu", ["context-menu"]),
        ("cell", ["cell", "plus"]),
        ("vertical-text", ["vertical-text"]),
        ("alias", ["alias", "dnd-link"]),
        ("copy", ["copy", "dnd-copy"]),
        ("no-drop", ["no-drop", "dnd-no-drop"]),
        ("zoom-in", ["zoom-in"]),
        ("zoom-out", ["zoom-out"]),
        ("all-scroll", ["all-scroll", "fleur"]),
    ];
}
