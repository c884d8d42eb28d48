namespace Polydev.Server.Sandboxes.Images;

/// <summary>
/// The runtime images as the engine holds them: the version an image carries, the list, and building what is
/// missing. The pools ask it which version to serve; <c>polydev images</c> lists and builds through it. Each engine
/// implements it by its own means (Docker: the Engine API's image endpoints and its build).
/// </summary>
public interface IRuntimeImageCatalog
{
    /// <summary>
    /// The version an image carries (label <see cref="SandboxLabels.ImageVersion"/>, else an id the engine derives
    /// from its content), or null when the engine does not have the image. Pools serve this version and recycle
    /// sandboxes of any other.
    /// </summary>
    Task<string?> ResolveVersionAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every runtime image (labelled with a provider and a version), newest first within a provider, then every login
    /// image (labelled <see cref="LoginImages.ImageLabel"/> <c>login</c> and a version), newest first.
    /// </summary>
    Task<IReadOnlyList<RuntimeImageInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Builds each requested image that is missing or out of date (or, with
    /// <see cref="RuntimeImageBuildRequest.StageDirectory"/>, writes its build context there instead).
    /// <paramref name="progress"/> gets the engine's output as it comes; the answer is one line per image.
    /// Failures throw <see cref="ImageBuildException"/> or <see cref="SandboxEngineException"/>.
    /// </summary>
    Task<IReadOnlyList<RuntimeImageOutcome>> BuildAsync(RuntimeImageBuildRequest request, Action<string> progress, CancellationToken cancellationToken = default);
}

/// <summary>A runtime image, or the login image, on the engine.</summary>
/// <param name="Provider">The provider whose CLI the image holds; null for the login image, which holds every provider's.</param>
/// <param name="Latest">It holds its repository's <c>latest</c> tag.</param>
public sealed record RuntimeImageInfo(string? Provider, string Reference, string Version, long Size, DateTimeOffset Created, bool Latest)
{
    /// <summary>What the image is for: <c>runtime</c> (one provider's executions) or <see cref="LoginImages.Name"/>.</summary>
    public string Image { get; init; } = RuntimeImages.Name;
}

/// <summary>Which images a build covers.</summary>
public enum RuntimeImageSet
{
    /// <summary>The runtime images and the login image.</summary>
    All,

    /// <summary>The runtime images only (one per provider).</summary>
    Runtime,

    /// <summary>The login image only.</summary>
    Login,
}

/// <summary>
/// What to build: the sources, the images (<paramref name="Only"/>), the providers whose runtime images to build
/// (empty: every one in clis.tsv; naming providers builds only their runtime images), and where to stage contexts
/// instead of building.
/// </summary>
public sealed record RuntimeImageBuildRequest(
    RuntimeImageSources Sources, IReadOnlyList<string> Providers, string? StageDirectory = null, RuntimeImageSet Only = RuntimeImageSet.All)
{
    /// <summary>Whether the runtime images are built: unless the login image is asked for alone.</summary>
    public bool BuildsRuntime => Only != RuntimeImageSet.Login;

    /// <summary>Whether the login image is built: when asked for alone, or with everything when no provider is named.</summary>
    public bool BuildsLogin => Only == RuntimeImageSet.Login || (Only == RuntimeImageSet.All && Providers.Count == 0);

    /// <summary>Throws for a request that asks for nothing: providers named with <see cref="RuntimeImageSet.Login"/>.</summary>
    public void Validate()
    {
        if (Only == RuntimeImageSet.Login && Providers.Count > 0)
        {
            throw new ImageBuildException("--provider names runtime images, and --only login builds none of them");
        }
    }
}

/// <summary>One image's result: built, up to date, or staged (then <paramref name="Reference"/> is the context's path and <paramref name="Result"/> how to build it).</summary>
/// <param name="Provider">The runtime image's provider, or <c>login</c> for the login image.</param>
public sealed record RuntimeImageOutcome(string Provider, string Reference, string Result);

/// <summary>Where a build takes its inputs from.</summary>
/// <param name="Dockerfile">images/runtime/Dockerfile.</param>
/// <param name="ClisFile">images/runtime/clis.tsv.</param>
/// <param name="ClisDirectory">Where scripts/lib/clis.sh installed the pinned packages (<c>{provider}-{version}/</c> npm prefixes).</param>
/// <param name="Agent">The published polydev-agent binary (NativeAOT, linux-x64).</param>
/// <param name="Base">The base image; null: <c>polydev/debian-base:{host codename}</c>, made with debootstrap when missing.</param>
/// <param name="LoginDockerfile">images/login/Dockerfile; null when the caller builds runtime images only.</param>
public sealed record RuntimeImageSources(string Dockerfile, string ClisFile, string ClisDirectory, string Agent, string? Base = null, string? LoginDockerfile = null);
