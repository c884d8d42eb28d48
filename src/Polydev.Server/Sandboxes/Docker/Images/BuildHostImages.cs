using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Sandboxes.Docker.Images;

/// <summary>
/// The runtime images as this host's Docker daemon holds them, for an engine that runs sandboxes elsewhere (Nomad):
/// <c>polydev images build</c> builds here, the pools read image versions here, and the operator ships the images to
/// the nodes (a registry, or <c>docker save | docker load</c>).
/// </summary>
public static class BuildHostImages
{
    public static IRuntimeImageCatalog Catalog(IServiceProvider services) =>
        new DockerImageCatalog(new DockerClient(), services.GetService<ILogger<DockerImageCatalog>>());
}
