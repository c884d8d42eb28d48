using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Polydev.Server.Http;

/// <summary>
/// Turns what the framework throws for a malformed request (bad JSON, wrong types, invalid
/// base64, oversized body, wrong content type) into a problem response whose detail says
/// what was wrong and where, without quoting the body.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || context.Response.HasStarted)
        {
            return false;
        }

        var status = bad.StatusCode;
        var detail = status switch
        {
            StatusCodes.Status413PayloadTooLarge => "The request body is larger than this endpoint accepts.",
            StatusCodes.Status415UnsupportedMediaType => "Send the request body as application/json.",
            _ => Describe(bad),
        };

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = status == StatusCodes.Status413PayloadTooLarge ? "Payload too large" : "Bad request",
                Detail = detail,
            },
        });
    }

    private static string Describe(BadHttpRequestException bad)
    {
        for (var inner = bad.InnerException; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case JsonException { Path: { } path } json when json.InnerException is FormatException:
                    return $"The field at {path} is not valid base64.";
                case JsonException { Path: { } path } json:
                    // System.Text.Json messages name the type and position, never the value.
                    return $"The request body is not valid JSON for this endpoint at {path}: {FirstSentence(json.Message)}";
                case JsonException json:
                    return $"The request body is not valid JSON: {FirstSentence(json.Message)}";
                case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                    return "The request body is larger than this endpoint accepts.";
            }
        }

        return bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase)
            ? "The request needs a JSON body."
            : "The request is malformed: check the path and query parameters.";
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
