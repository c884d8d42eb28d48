namespace Polydev.Server.Http;

/// <summary>
/// Fills in a detail for problems the framework raises on its own (unknown route, wrong method,
/// body over the limit), so that every error the API returns says what to do about it.
/// </summary>
internal static class ProblemDefaults
{
    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!string.IsNullOrEmpty(problem.Detail))
        {
            return;
        }

        problem.Detail = problem.Status switch
        {
            StatusCodes.Status400BadRequest => "The request is malformed: check the path, query parameters and body.",
            StatusCodes.Status401Unauthorized => "Sign in first: send 'Authorization: Bearer <token>'.",
            StatusCodes.Status403Forbidden => "This token may not do this.",
            StatusCodes.Status404NotFound => $"Nothing is at {context.HttpContext.Request.Path}; the API is described at /openapi/v1.json.",
            StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed here; the API is described at /openapi/v1.json.",
            StatusCodes.Status413PayloadTooLarge => "The request body is larger than this endpoint accepts.",
            StatusCodes.Status415UnsupportedMediaType => "Send the request body as application/json.",
            _ => null,
        };
    }
}
