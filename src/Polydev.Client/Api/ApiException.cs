using System.Net;

namespace Polydev.Client.Api;

/// <summary>The server refused a request; <see cref="Exception.Message"/> is its problem+json <c>detail</c>.</summary>
internal sealed class ApiException(HttpStatusCode status, string message) : CliException(message)
{
    public HttpStatusCode Status { get; } = status;
}
