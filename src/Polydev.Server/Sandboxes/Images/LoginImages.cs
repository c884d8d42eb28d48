namespace Polydev.Server.Sandboxes.Images;

/// <summary>
/// Names and labels of the login image (runtime kind <c>login</c>): one repository, tagged with its version and
/// <c>latest</c>. It holds every provider's CLI, so it carries no <see cref="RuntimeImages.ProviderLabel"/>: a
/// provider label says "this image serves that provider's executions", which the login image never does.
/// </summary>
public static class LoginImages
{
    public const string Repository = "polydev/login";

    /// <summary>What the image is for; the login image's value is <see cref="Name"/>.</summary>
    public const string ImageLabel = "dev.polydev.image";

    public const string Name = "login";

    /// <summary>The pinned CLI versions, <c>provider=version</c> separated by spaces, for people reading <c>docker inspect</c>.</summary>
    public const string CliVersionsLabel = "dev.polydev.cli-versions";

    /// <summary>What the <c>login</c> runtime kind runs by default; the version comes from its label.</summary>
    public const string Latest = Repository + ":" + RuntimeImages.LatestTag;

    public static string Reference(string version) => $"{Repository}:{version}";
}
