using System.Runtime.InteropServices;

namespace Polydev.Agent.Login.Cursors;

/// <summary>
/// The XFixes calls that read the pointer's current image: the stream is captured without the pointer, so the viewer
/// draws it, and needs to know which shape it has.
/// </summary>
internal static unsafe partial class XFixes
{
    private const string Library = "libXfixes.so.3";

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static partial bool XFixesQueryExtension(nint display, out int eventBase, out int errorBase);

    /// <summary>The displayed cursor; the caller frees it with <c>XFree</c>.</summary>
    [LibraryImport(Library)]
    public static partial CursorImage* XFixesGetCursorImage(nint display);

    /// <summary>
    /// <c>XFixesCursorImage</c>. <c>Name</c> (XFixes 2) is empty for Chromium's cursors: its X11 loader reads the
    /// cursor theme itself and never names what it makes (seen under Xvfb with Debian's chromium), so the shape is
    /// told by its pixels (<see cref="CursorShapes"/>).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CursorImage
    {
        public short X;
        public short Y;
        public ushort Width;
        public ushort Height;
        public ushort HotX;
        public ushort HotY;
        public nuint Serial;

        /// <summary>Width × height premultiplied ARGB pixels, one in the low 32 bits of each <c>unsigned long</c>.</summary>
        public nuint* Pixels;

        public nuint Atom;
        public nint Name;
    }
}
