namespace Polydev.Server.Web;

/// <summary>The headers of the web client's own responses: the page's security policy and the caching rules.</summary>
internal static class WebHeaders
{
    /// <summary>
    /// Everything the page may load comes from this origin, and no script runs that was not loaded as a file:
    /// no inline script or style, no eval, no plugins, no frames. Trusted Types with no policy allowed means
    /// the string-to-HTML sinks (innerHTML and friends) throw, so decrypted text can never become markup.
    /// <c>img-src data:</c> is for icons inlined into the stylesheet; <c>connect-src 'self'</c> is the API.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " +
        "require-trusted-types-for 'script'; trusted-types 'none'";

    /// <summary>Powerful features the client never uses, switched off for the page and anything it could embed.</summary>
    public const string PermissionsPolicy =
        "accelerometer=(), bluetooth=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), " +
        "magnetometer=(), microphone=(), midi=(), payment=(), serial=(), usb=()";

    /// <summary>index.html names the current hashed assets, so the browser must ask again each time (a 304 is cheap).</summary>
    public const string PageCacheControl = "no-cache";

    /// <summary>An asset's name carries its content hash: a changed file is a new URL, so one can be kept for a year.</summary>
    public const string AssetCacheControl = "public, max-age=31536000, immutable";

    public static void ApplyPage(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Permissions-Policy"] = PermissionsPolicy;
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
        SetCacheControl(response, PageCacheControl);
    }

    public static void ApplyAsset(HttpResponse response)
    {
        response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
        SetCacheControl(response, AssetCacheControl);
    }

    private static void SetCacheControl(HttpResponse response, string value)
    {
        response.Headers.CacheControl = value;
        SecurityHeaders.KeepCacheControl(response.HttpContext);
    }
}
