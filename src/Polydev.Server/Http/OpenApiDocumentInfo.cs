using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Polydev.Server.Http;

/// <summary>Title, description and the bearer scheme of the published OpenAPI document.</summary>
internal sealed class OpenApiDocumentInfo : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Polydev API",
            Version = "v1",
            Description = "Zero-knowledge accounts and vault. Every secret field is an envelope made on the client (docs/crypto.md); errors are application/problem+json.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A session token from /api/auth/login (pd_s_…) or an API token (pd_t_…).",
        };
        return Task.CompletedTask;
    }
}
