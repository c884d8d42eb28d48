namespace Polydev.Server.Web;

/// <summary>Settings under <c>Web</c> (environment: <c>POLYDEV_WEB__…</c>): where the built web client lives.</summary>
public sealed class WebOptions
{
    public const string Section = "Web";

    /// <summary>
    /// The directory <c>npm run build:app</c> wrote (<c>index.html</c>, <c>assets/</c>). Empty means
    /// <c>wwwroot</c> next to the binary, where the build and publish of <c>src/Polydev</c> copy <c>web/dist</c>.
    /// A relative path is taken from the working directory, like <c>Data</c>.
    /// </summary>
    public string? Root { get; set; }

    public string ResolveRoot() =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(Root) ? Path.Combine(AppContext.BaseDirectory, "wwwroot") : Root);
}
