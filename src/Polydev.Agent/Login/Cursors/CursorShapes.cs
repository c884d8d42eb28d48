namespace Polydev.Agent.Login.Cursors;

/// <summary>
/// Tells a cursor image's CSS name by its pixels: every frame of every cursor of the theme Chromium draws from is
/// fingerprinted (size, hot spot, pixels) under its CSS name, and a displayed image is looked up by the same
/// fingerprint. An image the theme does not have (a page's own <c>url()</c> cursor, the bare X root's) is
/// <c>default</c>; one without a visible pixel is <c>none</c>.
/// </summary>
internal sealed class CursorShapes
{
    private readonly Dictionary<Fingerprint, string> _names = [];

    public int Count => _names.Count;

    /// <summary>Files an image under a CSS name, unless an earlier name has the same image.</summary>
    public void Add(string css, int width, int height, int hotX, int hotY, ReadOnlySpan<uint> pixels) =>
        _names.TryAdd(Fingerprint.Of(width, height, hotX, hotY, pixels), css);

    public string NameOf(int width, int height, int hotX, int hotY, ReadOnlySpan<uint> pixels)
    {
        bool visible = false;
        foreach (uint pixel in pixels)
        {
            visible |= pixel >> 24 != 0;
        }

        if (!visible)
        {
            return CssCursors.None;
        }

        return _names.TryGetValue(Fingerprint.Of(width, height, hotX, hotY, pixels), out string? css) ? css : CssCursors.Default;
    }

    /// <summary>
    /// Fingerprints the display's cursor theme at its size (see <see cref="Xcursor"/>); every frame of an animated
    /// cursor (wait, progress) is filed, since XFixes shows whichever frame is up. Without libXcursor the result is
    /// empty, and only <c>none</c> and <c>default</c> are told apart.
    /// </summary>
    public static unsafe CursorShapes LoadTheme(nint display)
    {
        var shapes = new CursorShapes();
        try
        {
            nint theme = Xcursor.XcursorGetTheme(display);
            int size = Xcursor.XcursorGetDefaultSize(display);
            foreach (var (css, themeNames) in CssCursors.All)
            {
                foreach (string name in themeNames)
                {
                    Xcursor.Images* images = Xcursor.XcursorLibraryLoadImages(name, theme, size);
                    if (images is null)
                    {
                        continue;
                    }

                    try
                    {
                        for (int i = 0; i < images->Count; i++)
                        {
                            Xcursor.Image* frame = images->Frames[i];
                            shapes.Add(css, (int)frame->Width, (int)frame->Height, (int)frame->HotX, (int)frame->HotY,
                                new ReadOnlySpan<uint>(frame->Pixels, checked((int)(frame->Width * frame->Height))));
                        }
                    }
                    finally
                    {
                        Xcursor.XcursorImagesDestroy(images);
                    }
                }
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }

        return shapes;
    }

    /// <summary>An image's geometry and a 64-bit FNV-1a hash of its pixels (a word at a time): among the theme's few hundred frames a collision is out of reach.</summary>
    private readonly record struct Fingerprint(int Width, int Height, int HotX, int HotY, ulong Hash)
    {
        public static Fingerprint Of(int width, int height, int hotX, int hotY, ReadOnlySpan<uint> pixels)
        {
            ulong hash = 14695981039346656037;
            foreach (uint pixel in pixels)
            {
                hash = (hash ^ pixel) * 1099511628211;
            }

            return new Fingerprint(width, height, hotX, hotY, hash);
        }
    }
}
