using System.Runtime.InteropServices;

namespace Polydev.Agent.Login.Cursors;

/// <summary>
/// The libXcursor calls that load the cursor theme's images by name, exactly as Chromium's X11 cursor loader finds
/// them: the same theme (the display's <c>Xcursor.theme</c>, else <c>default</c>) at the same size (its
/// <c>Xcursor.size</c>, else from the screen's size), so an image read back with XFixes can be matched to its name.
/// </summary>
internal static unsafe partial class Xcursor
{
    private const string Library = "libXcursor.so.1";

    /// <summary>The display's cursor theme, or 0 for the default one (a string libXcursor owns).</summary>
    [LibraryImport(Library)]
    public static partial nint XcursorGetTheme(nint display);

    [LibraryImport(Library)]
    public static partial int XcursorGetDefaultSize(nint display);

    /// <summary>Every frame of the named cursor at the theme's size nearest <paramref name="size"/>; null when the theme lacks it.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial Images* XcursorLibraryLoadImages(string name, nint theme, int size);

    [LibraryImport(Library)]
    public static partial void XcursorImagesDestroy(Images* images);

    /// <summary><c>XcursorImages</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Images
    {
        public int Count;
        public Image** Frames;
        public nint Name;
    }

    /// <summary><c>XcursorImage</c>: premultiplied ARGB pixels, 32 bits each.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Image
    {
        public uint Version;
        public uint Size;
        public uint Width;
        public uint Height;
        public uint HotX;
        public uint HotY;
        public uint Delay;
        public uint* Pixels;
    }
}
