namespace Polydev.Server.Sandboxes.Images;

/// <summary>Names and labels of the runtime images: one repository per provider, tagged with its version and <c>latest</c>.</summary>
public static class RuntimeImages
{
    public const string RepositoryPrefix = "polydev/runtime-";

    public const string LatestTag = "latest";

    /// <summary>What a runtime image is for, as <c>polydev images list</c> names it (the other is <see cref="LoginImages.Name"/>).</summary>
    public const string Name = "runtime";

    /// <summary>The version that changes whenever a build input changes (<see cref="RuntimeImageVersion"/>).</summary>
    public const string VersionLabel = SandboxLabels.ImageVersion;

    /// <summary>The provider whose CLI the image holds (an image label; sandboxes carry their runtime kind instead).</summary>
    public const string ProviderLabel = "dev.polydev.provider";

    /// <summary>The pinned CLI version, for people reading <c>docker inspect</c>.</summary>
    public const string CliVersionLabel = "dev.polydev.cli-version";

    public static string Repository(string provider) => RepositoryPrefix + provider;

    /// <summary>What the server runs by default: <c>polydev/runtime-{provider}:latest</c>; the version comes from its label.</summary>
    public static string Latest(string provider) => $"{Repository(provider)}:{LatestTag}";

    public static string Reference(string provider, string version) => $"{Repository(provider)}:{version}";
}
