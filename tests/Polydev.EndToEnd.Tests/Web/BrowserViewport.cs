namespace Polydev.EndToEnd.Tests.Web;

/// <summary>The screen a test's page gets: a laptop, or a phone (touch, mobile viewport meta honoured).</summary>
public sealed record BrowserViewport(string Name, int Width, int Height, bool IsMobile = false, float DeviceScaleFactor = 1)
{
    public static readonly BrowserViewport Desktop = new("desktop", 1280, 800);

    /// <summary>A common phone's CSS size (390 × 844).</summary>
    public static readonly BrowserViewport Phone = new("phone", 390, 844, IsMobile: true, DeviceScaleFactor: 2);
}
