namespace Polydev.Agent.Login.Desktop;

/// <summary>How big the login sandbox's screen is, and which browser it shows.</summary>
/// <param name="MaxWidth">Xvfb's screen: the largest size a viewer may ask for.</param>
internal sealed record DesktopSettings(int MaxWidth, int MaxHeight, string Browser, string ProfileDirectory)
{
    /// <summary>The session's home: the browser's profile and NSS store, and the CLI's login files.</summary>
    public string Home { get; init; } = Environment.GetEnvironmentVariable("HOME") ?? "/tmp";

    public const int MinWidth = 320;
    public const int MinHeight = 240;

    /// <summary>A requested size inside the bounds, rounded down to even numbers (the encoders' 4:2:0 needs them).</summary>
    public (int Width, int Height) Fit(int width, int height) =>
        (Math.Clamp(width, MinWidth, MaxWidth) & ~1, Math.Clamp(height, MinHeight, MaxHeight) & ~1);

    /// <summary>Up to 1920×1200, Debian's chromium, a profile in the home.</summary>
    public static DesktopSettings ForHome(string home) => new(1920, 1200, "chromium", Path.Combine(home, ".config", "polydev-login-browser")) { Home = home };
}
