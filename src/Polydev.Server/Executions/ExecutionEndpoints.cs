using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Executions;
using Polydev.Crypto;
using Polydev.Server.Accounts;
using Polydev.Server.Egress;
using Polydev.Server.Http;
using Polydev.Server.Runtimes;
using Polydev.Server.Storage;

namespace Polydev.Server.Executions;

/// <summary>
/// Executions: allocate a sandbox, start it with a sealed job, follow its encrypted output (resumable), cancel,
/// status, list. The server never sees a prompt, a credential or an answer: only their ciphertext.
/// </summary>
public static class ExecutionEndpoints
{
    private const string NoExecution = "No execution with this id.";
    private const string NoSandboxes = "This server runs no sandboxes (Sandboxes:Engine is 'none'); the operator must enable an engine to run executions.";

    /// <summary>Request body limit for start: the largest sealed job in base64, plus JSON.</summary>
    private static long StartBodyLimit(int maxSealedJobBytes) => (maxSealedJobBytes + 2) / 3 * 4 + 1024;

    public static void MapExecutionEndpoints(this IEndpointRouteBuilder app, ExecutionsOptions options)
    {
        var group = app.MapGroup(ApiRoutes.Executions).WithTags("Executions").RequireAuthorization();
        group.MapPost("", CreateAsync).WithSummary("Allocate a sandbox for a provider; returns its one-job public key and this execution's proxy URL.");
        group.MapGet("", ListAsync).WithSummary("Your executions, oldest first (metadata only).");
        group.MapGet("{id:guid}", GetAsync).WithSummary("An execution's state, reason and sizes.");
        group.MapPost("{id:guid}/start", StartAsync).WithSummary("Hand the sealed job (sealed to the sandbox's key) to the sandbox.")
            .WithRequestBodyLimit(StartBodyLimit(options.MaxSealedJobBytes));
        group.MapGet("{id:guid}/stream", StreamAsync).WithSummary("The encrypted output frames from sequence 'from' on, live until the final frame.")
            .Produces(StatusCodes.Status200OK, contentType: ExecutionStreamFormat.MediaType);
        group.MapPost("{id:guid}/cancel", CancelAsync).WithSummary("Stop an allocated or running execution; its sandbox is destroyed.");
    }

    private static async Task<Results<Created<ExecutionCreatedResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateExecutionRequest request, ClaimsPrincipal user, HttpContext context, CancellationToken cancellationToken)
    {
        // A provider is valid when a registered runtime kind serves it, whether or not this server runs sandboxes.
        var kinds = context.RequestServices.GetRequiredService<RuntimeKinds>();
        if (kinds.ForProvider(request.Provider) is null)
        {
            return new RequestErrors().Add("provider", $"provider must be one of {string.Join(", ", kinds.Providers)}.").ToProblem();
        }

        if (Service(context) is not { } executions)
        {
            return Problems.Unavailable(NoSandboxes);
        }

        try
        {
            var (_, response) = await executions.CreateAsync(user.UserId(), request.Provider!, cancellationToken);
            return TypedResults.Created(ApiRoutes.Execution(response.Id), response);
        }
        catch (ExecutionRefusedException e)
        {
            return Refused(e);
        }
        catch (EgressPortUnavailableException e)
        {
            return Problems.Unavailable($"This execution would have no way out. {e.Message}");
        }
    }

    private static async Task<Results<Ok<ExecutionResponse>, ValidationProblem, ProblemHttpResult>> StartAsync(
        Guid id, StartExecutionRequest request, ClaimsPrincipal user, HttpContext context, CancellationToken cancellationToken)
    {
        if (Service(context) is not { } executions)
        {
            return Problems.Unavailable(NoSandboxes);
        }

        var limits = context.RequestServices.GetRequiredService<IOptions<ExecutionsOptions>>().Value;
        var errors = new RequestErrors();
        byte[]? sealedJob = null;
        if (string.IsNullOrEmpty(request.SealedJob))
        {
            errors.Add("sealedJob", "sealedJob is required: the job sealed to the sandbox's public key, base64.");
        }
        else
        {
            try
            {
                sealedJob = Convert.FromBase64String(request.SealedJob);
            }
            catch (FormatException)
            {
                errors.Add("sealedJob", "sealedJob is not valid base64.");
            }
        }

        if (sealedJob is not null && (sealedJob.Length < SealedBox.Overhead || sealedJob.Length > limits.MaxSealedJobBytes))
        {
            errors.Add("sealedJob", $"sealedJob must be a sealed box of at most {limits.MaxSealedJobBytes} bytes.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        try
        {
            return TypedResults.Ok(ToResponse(await executions.StartAsync(user.UserId(), id, sealedJob!, cancellationToken)));
        }
        catch (ExecutionRefusedException e)
        {
            return Refused(e);
        }
    }

    private static async Task<Results<Ok<ExecutionResponse>, ProblemHttpResult>> CancelAsync(
        Guid id, ClaimsPrincipal user, HttpContext context, CancellationToken cancellationToken)
    {
        if (Service(context) is not { } executions)
        {
            return Problems.Unavailable(NoSandboxes);
        }

        try
        {
            return TypedResults.Ok(ToResponse(await executions.CancelAsync(user.UserId(), id, cancellationToken)));
        }
        catch (ExecutionRefusedException e)
        {
            return Refused(e);
        }
    }

    private static async Task<Results<Ok<ExecutionResponse>, ProblemHttpResult>> GetAsync(
        Guid id, ClaimsPrincipal user, ExecutionStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(user.UserId(), id, cancellationToken) is { } record
            ? TypedResults.Ok(ToResponse(record))
            : Problems.NotFound(NoExecution);

    private static async Task<Results<Ok<Page<ExecutionResponse>>, ValidationProblem>> ListAsync(
        int? limit, string? cursor, ClaimsPrincipal user, ExecutionStore store, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        if (!PageRequest.TryCreate(limit, cursor, errors, out var page))
        {
            return errors.ToProblem();
        }

        var rows = await store.ListAsync(user.UserId(), page, cancellationToken);
        var items = rows.Take(page.Limit).ToList();
        var next = rows.Count > page.Limit ? new Cursor(items[^1].CreatedAt, Guid.Parse(items[^1].Id)).ToString() : null;
        return TypedResults.Ok(new Page<ExecutionResponse>(items.Select(ToResponse).ToList(), next));
    }

    /// <summary>
    /// Frames from <paramref name="from"/> on: live from memory while this server runs the execution, else from
    /// the database. A client that lost its connection asks again with the next sequence number it needs.
    /// </summary>
    private static async Task<IResult> StreamAsync(
        Guid id, long? from, ClaimsPrincipal user, HttpContext context, ExecutionStore store, CancellationToken cancellationToken)
    {
        if (from is < 0)
        {
            return new RequestErrors().Add("from", "from must be a sequence number, 0 or more.").ToProblem();
        }

        if (await store.FindAsync(user.UserId(), id, cancellationToken) is not { } record)
        {
            return Problems.NotFound(NoExecution);
        }

        var start = from ?? 0;
        var response = context.Response;
        response.ContentType = ExecutionStreamFormat.MediaType;
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Polydev-Execution-State"] = record.State;
        await response.StartAsync(cancellationToken);

        if (Service(context)?.LiveOutput(record.Id) is { } live)
        {
            await foreach (var frame in live.FollowAsync(start, cancellationToken))
            {
                await OutputStream.WriteFrameAsync(response.Body, frame, cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
            }

            return Results.Empty;
        }

        foreach (var frame in await store.ReadChunksAsync(record.Id, start, cancellationToken))
        {
            await OutputStream.WriteFrameAsync(response.Body, frame, cancellationToken);
        }

        return Results.Empty;
    }

    private static ExecutionService? Service(HttpContext context) => context.RequestServices.GetService<ExecutionService>();

    private static ProblemHttpResult Refused(ExecutionRefusedException e) => e.Refusal switch
    {
        ExecutionRefusal.NotFound => Problems.NotFound(e.Message),
        ExecutionRefusal.Conflict => Problems.Conflict(e.Message),
        ExecutionRefusal.TooMany => Problems.TooManyRequests(e.Message),
        _ => Problems.Unavailable(e.Message),
    };

    public static ExecutionResponse ToResponse(ExecutionRecord record) => new(
        Guid.Parse(record.Id),
        record.Provider,
        record.State,
        record.Reason,
        record.Warm != 0,
        record.ExitCode is { } code ? (int)code : null,
        record.OutputBytes,
        record.ChunkCount,
        UnixTime.ToDateTimeOffset(record.CreatedAt),
        UnixTime.ToDateTimeOffset(record.StartedAt),
        UnixTime.ToDateTimeOffset(record.FinishedAt));
}
