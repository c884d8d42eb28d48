using Polydev.Agent.Login.Input;

namespace Polydev.Agent.Login.Desktop;

/// <summary>The browser's top-level windows on the display: found as the root's mapped children (there is no window manager).</summary>
internal sealed unsafe class BrowserWindows : IDisposable
{
    private const int IsViewable = 2;

    private readonly nint _display;

    private BrowserWindows(nint display) => _display = display;

    public static BrowserWindows Open(string display)
    {
        nint handle = X11.XOpenDisplay(display);
        return handle == 0 ? throw new InvalidOperationException($"The X display {display} cannot be opened.") : new BrowserWindows(handle);
    }

    public bool AnyMapped() => Mapped().Count > 0;

    /// <summary>Every mapped top-level window to the top left corner at the given size.</summary>
    public void PlaceAll(int width, int height)
    {
        foreach (nint window in Mapped())
        {
            X11.XMoveResizeWindow(_display, window, 0, 0, (uint)width, (uint)height);
        }

        X11.XSync(_display, 0);
    }

    private List<nint> Mapped()
    {
        var mapped = new List<nint>();
        nint root = X11.XDefaultRootWindow(_display);
        if (X11.XQueryTree(_display, root, out _, out _, out nint* children, out uint count) == 0 || children is null)
        {
            return mapped;
        }

        try
        {
            for (int i = 0; i < count; i++)
            {
                if (X11.XGetWindowAttributes(_display, children[i], out var attributes) != 0 && attributes.MapState == IsViewable && attributes.Width > 1)
                {
                    mapped.Add(children[i]);
                }
            }
        }
        finally
        {
            X11.XFree(children);
        }

        return mapped;
    }

    public void Dispose() => X11.XCloseDisplay(_display);
}
