using Microsoft.Extensions.FileProviders;

namespace Polydev.Server.Web;

/// <summary>
/// The built web client on disk, looked at once when the server starts: a missing directory is reported then
/// (the server still runs its API), and the server must be restarted to serve a directory created later.
/// Files inside it are read on each request, so rebuilding the client needs no restart.
/// </summary>
public sealed class WebClientSite : IDisposable
{
    public const string IndexFile = "index.html";

    /// <summary>The detail of every 404 the web part answers while there is nothing to serve.</summary>
    public const string NotBuiltDetail =
        "The web client is not built. Run 'npm ci && npm run build:app' in web/ (scripts/start does this) and rebuild " +
        "src/Polydev, or point Web:Root (POLYDEV_WEB__ROOT) at a directory holding index.html and assets/.";

    private readonly PhysicalFileProvider? _files;
    private readonly PhysicalFileProvider? _assets;

    public WebClientSite(WebOptions options)
    {
        Root = options.ResolveRoot();
        if (Directory.Exists(Root))
        {
            _files = new PhysicalFileProvider(Root);
            var assets = Path.Combine(Root, "assets");
            _assets = Directory.Exists(assets) ? new PhysicalFileProvider(assets) : null;
        }
    }

    /// <summary>The absolute path of the directory served.</summary>
    public string Root { get; }

    public bool Exists => _files is not null;

    /// <summary>The files under <c>assets/</c>, for the static-file middleware; null when the directory does not exist.</summary>
    public IFileProvider? Assets => _assets;

    /// <summary>index.html as it is on disk now, or null when it is not there.</summary>
    public IFileInfo? Index => _files?.GetFileInfo(IndexFile) is { Exists: true, IsDirectory: false } file ? file : null;

    public void Dispose()
    {
        _assets?.Dispose();
        _files?.Dispose();
    }
}
