namespace Polydev.Server.Http;

/// <summary>
/// API responses carry ciphertext and tokens: never cached, never sniffed. The web client's files are the one
/// exception to the caching rule, and say so with <see cref="KeepCacheControl"/>.
/// </summary>
internal sealed class SecurityHeaders(RequestDelegate next)
{
    private static readonly object CacheControlKept = new();

    /// <summary>
    /// Lets the response keep the Cache-Control its handler set. Needed because this middleware's callback runs
    /// last (response-starting callbacks run innermost first) and would otherwise overwrite it.
    /// </summary>
    public static void KeepCacheControl(HttpContext context) => context.Items[CacheControlKept] = true;

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            if (!context.Items.ContainsKey(CacheControlKept))
            {
                headers.CacheControl = "no-store";
            }

            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
