using System.Runtime.InteropServices;

namespace Polydev.Agent.Login.Input;

/// <summary>The Xlib and XTest calls that inject the viewer's input into the sandbox's display.</summary>
internal static unsafe partial class X11
{
    private const string Xlib = "libX11.so.6";
    private const string XTest = "libXtst.so.6";

    [LibraryImport(Xlib, StringMarshalling = StringMarshalling.Utf8, EntryPoint = "XOpenDisplay")]
    private static partial nint XOpenDisplayNative(string name);

    [LibraryImport(Xlib)]
    private static partial nint XSetErrorHandler(nint handler);

    private static int s_handlerSet;

    /// <summary>
    /// Opens a connection, first making sure an X protocol error (a window that closed between two calls) is ignored:
    /// Xlib's default handler would end the whole agent.
    /// </summary>
    public static nint XOpenDisplay(string name)
    {
        if (Interlocked.Exchange(ref s_handlerSet, 1) == 0)
        {
            XSetErrorHandler((nint)(delegate* unmanaged[Cdecl]<nint, nint, int>)&IgnoreError);
        }

        return XOpenDisplayNative(name);
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static int IgnoreError(nint display, nint error) => 0;

    [LibraryImport(Xlib)]
    public static partial int XCloseDisplay(nint display);

    [LibraryImport(Xlib)]
    public static partial int XFlush(nint display);

    [LibraryImport(Xlib)]
    public static partial int XSync(nint display, int discard);

    [LibraryImport(Xlib)]
    public static partial byte XKeysymToKeycode(nint display, nuint keysym);

    [LibraryImport(Xlib)]
    public static partial nuint XkbKeycodeToKeysym(nint display, byte keycode, int group, int level);

    [LibraryImport(Xlib)]
    public static partial int XDisplayKeycodes(nint display, out int minimum, out int maximum);

    [LibraryImport(Xlib)]
    public static partial nuint* XGetKeyboardMapping(nint display, byte firstKeycode, int count, out int keysymsPerKeycode);

    [LibraryImport(Xlib)]
    public static partial int XChangeKeyboardMapping(nint display, int firstKeycode, int keysymsPerKeycode, nuint* keysyms, int count);

    [LibraryImport(Xlib)]
    public static partial int XFree(void* data);

    [LibraryImport(Xlib)]
    public static partial nint XDefaultRootWindow(nint display);

    [LibraryImport(Xlib)]
    public static partial int XQueryTree(nint display, nint window, out nint root, out nint parent, out nint* children, out uint count);

    [LibraryImport(Xlib)]
    public static partial int XGetWindowAttributes(nint display, nint window, out WindowAttributes attributes);

    [LibraryImport(Xlib)]
    public static partial int XMoveResizeWindow(nint display, nint window, int x, int y, uint width, uint height);

    [LibraryImport(XTest)]
    public static partial int XTestFakeMotionEvent(nint display, int screen, int x, int y, nuint delay);

    [LibraryImport(XTest)]
    public static partial int XTestFakeButtonEvent(nint display, uint button, int isPress, nuint delay);

    [LibraryImport(XTest)]
    public static partial int XTestFakeKeyEvent(nint display, uint keycode, int isPress, nuint delay);

    /// <summary>The leading fields of <c>XWindowAttributes</c>; the rest is reserved so Xlib can write the whole struct.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WindowAttributes
    {
        public int X;
        public int Y;
        public int Width;
        public int Height;
        public int BorderWidth;
        public int Depth;
        public nint Visual;
        public nint Root;
        public int Class;
        public int BitGravity;
        public int WinGravity;
        public int BackingStore;
        public nuint BackingPlanes;
        public nuint BackingPixel;
        public int SaveUnder;
        public nint Colormap;
        public int MapInstalled;
        public int MapState;
        public nint AllEventMasks;
        public nint YourEventMask;
        public nint DoNotPropagateMask;
        public int OverrideRedirect;
        public nint Screen;
    }
}
