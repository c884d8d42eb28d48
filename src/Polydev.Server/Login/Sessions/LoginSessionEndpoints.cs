using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Polydev.Contracts;
using Polydev.Contracts.Login;
using Polydev.Server.Accounts;
using Polydev.Server.Http;

namespace Polydev.Server.Login.Sessions;

/// <summary>
/// Login sessions: start (lease a login sandbox), open (hand it the viewer's sealed opening), the session channel (a
/// WebSocket relaying sealed messages), the viewer's report (metrics), status, list, end. The server never holds the
/// session key: it cannot read, change or forge what goes through the channel.
/// </summary>
public static class LoginSessionEndpoints
{
    private const string NoSandboxes = "This server runs no sandboxes (Sandboxes:Engine is 'none'); login sessions need one.";

    // The sealed opening is a few KiB: the session key, a few TURN URLs, a start URL.
    private const long OpenBodyLimit = 64 * 1024;

    public static void MapLoginSessions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(ApiRoutes.LoginSessions).WithTags("Login sessions");
        var authorized = group.MapGroup("").RequireAuthorization();
        authorized.MapPost("", StartAsync).WithSummary("Lease a login sandbox: its one-session public key and the TURN servers for both ends.");
        authorized.MapGet("", List).WithSummary("Your login sessions, live and recently ended.");
        authorized.MapGet("{id:guid}", Get).WithSummary("A login session's state, path and end.");
        authorized.MapPost("{id:guid}/open", OpenAsync).WithSummary("Hand the sealed opening to the sandbox; returns a one-time ticket for the session channel.")
            .WithRequestBodyLimit(OpenBodyLimit);
        authorized.MapPost("{id:guid}/attach", Attach).WithSummary("A waiting session's public key and fresh TURN credentials, for a viewer attaching to a session started elsewhere.");
        authorized.MapPost("{id:guid}/reconnect", Reconnect).WithSummary("A new channel ticket for an open session whose viewer lost its channel.");
        authorized.MapPost("{id:guid}/report", Report).WithSummary("The viewer's measurements (path, ICE candidate type, first frame, bitrate) for the metrics.");
        authorized.MapGet("{id:guid}/credential", Credential).WithSummary("The credential a session that connected an account captured: sealed to you and tagged for the client that opened it.");
        authorized.MapDelete("{id:guid}", EndAsync).WithSummary("End a login session; its sandbox is destroyed.");
        // Browsers cannot put an Authorization header on a WebSocket: the ticket from open or reconnect stands in for it.
        // A WebSocket, which OpenAPI cannot describe: docs/login-sessions.md specifies it.
        group.Map("{id:guid}/channel", ChannelAsync).ExcludeFromDescription();
    }

    private static async Task<Results<Created<LoginSessionCreatedResponse>, ProblemHttpResult>> StartAsync(
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] StartLoginSessionRequest? request, ClaimsPrincipal user, HttpContext context, CancellationToken cancellationToken)
    {
        if (request?.Connect is { } connect && !Providers.IsKnown(connect))
        {
            return Problems.BadRequest($"connect must be one of {string.Join(", ", Providers.All)} (the provider whose account to connect), or absent for a plain remote browser.");
        }

        if (context.RequestServices.GetService<LoginSessionService>() is not { } sessions)
        {
            return Problems.Unavailable(NoSandboxes);
        }

        try
        {
            var created = await sessions.StartAsync(user.UserId(), request?.Connect, cancellationToken);
            return TypedResults.Created(ApiRoutes.LoginSession(created.Id), created);
        }
        catch (LoginSessionRefusedException e)
        {
            return Refused(e);
        }
    }

    private static Ok<IReadOnlyList<LoginSessionResponse>> List(ClaimsPrincipal user, LoginSessionRegistry registry) =>
        TypedResults.Ok<IReadOnlyList<LoginSessionResponse>>([.. registry.ForUser(user.UserId()).Select(s => s.ToResponse())]);

    private static Results<Ok<LoginSessionResponse>, ProblemHttpResult> Get(Guid id, ClaimsPrincipal user, LoginSessionRegistry registry) =>
        registry.Find(user.UserId(), id) is { } session ? TypedResults.Ok(session.ToResponse()) : Problems.NotFound("No login session with this id.");

    private static async Task<Results<Ok<LoginSessionOpenedResponse>, ValidationProblem, ProblemHttpResult>> OpenAsync(
        Guid id, OpenLoginSessionRequest request, ClaimsPrincipal user, HttpContext context, CancellationToken cancellationToken)
    {
        if (context.RequestServices.GetService<LoginSessionService>() is not { } sessions)
        {
            return Problems.Unavailable(NoSandboxes);
        }

        byte[]? sealedOpening = null;
        try
        {
            sealedOpening = request.SealedOpening is { Length: > 0 } text ? Convert.FromBase64String(text) : null;
        }
        catch (FormatException)
        {
        }

        if (sealedOpening is null)
        {
            return new RequestErrors().Add("sealedOpening", "sealedOpening must be the opening sealed to the sandbox's key, in base64.").ToProblem();
        }

        try
        {
            return TypedResults.Ok(await sessions.OpenAsync(user.UserId(), id, sealedOpening, cancellationToken));
        }
        catch (LoginSessionRefusedException e)
        {
            return Refused(e);
        }
    }

    private static Results<Ok<LoginSessionCreatedResponse>, ProblemHttpResult> Attach(Guid id, ClaimsPrincipal user, HttpContext context)
    {
        try
        {
            return context.RequestServices.GetService<LoginSessionService>() is { } sessions
                ? TypedResults.Ok(sessions.Attach(user.UserId(), id))
                : Problems.Unavailable(NoSandboxes);
        }
        catch (LoginSessionRefusedException e)
        {
            return Refused(e);
        }
    }

    /// <summary>The session's capture, from the registry like its status: it outlives the session's end (and needs no engine to be read).</summary>
    private static Results<Ok<LoginSessionCredentialResponse>, ProblemHttpResult> Credential(Guid id, ClaimsPrincipal user, LoginSessionRegistry registry) =>
        registry.Find(user.UserId(), id) is { } session
            ? TypedResults.Ok(new LoginSessionCredentialResponse(
                session.Credential is { } credential ? Convert.ToBase64String(credential) : null,
                session.State,
                session.Ended.IsCompleted ? session.Ended.Result : null))
            : Problems.NotFound("No login session with this id.");

    private static Results<Ok<LoginSessionOpenedResponse>, ProblemHttpResult> Reconnect(Guid id, ClaimsPrincipal user, HttpContext context)
    {
        try
        {
            return context.RequestServices.GetService<LoginSessionService>() is { } sessions
                ? TypedResults.Ok(sessions.Reconnect(user.UserId(), id))
                : Problems.Unavailable(NoSandboxes);
        }
        catch (LoginSessionRefusedException e)
        {
            return Refused(e);
        }
    }

    private static Results<NoContent, ValidationProblem, ProblemHttpResult> Report(Guid id, LoginSessionReport report, ClaimsPrincipal user, LoginSessionRegistry registry, LoginSessionMetrics metrics)
    {
        if (registry.Find(user.UserId(), id) is not { } session)
        {
            return Problems.NotFound("No login session with this id.");
        }

        if (LoginSessionReports.Check(report) is { } errors)
        {
            return errors.ToProblem();
        }

        LoginSessionReports.Apply(session, report, metrics);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<LoginSessionResponse>, ProblemHttpResult>> EndAsync(Guid id, ClaimsPrincipal user, HttpContext context)
    {
        if (context.RequestServices.GetService<LoginSessionService>() is not { } sessions)
        {
            return Problems.Unavailable(NoSandboxes);
        }

        try
        {
            return TypedResults.Ok(await sessions.EndAsync(user.UserId(), id));
        }
        catch (LoginSessionRefusedException e)
        {
            return Refused(e);
        }
    }

    private static async Task<IResult> ChannelAsync(Guid id, string? ticket, HttpContext context, LoginSessionRegistry registry, LoginChannelRelay relay)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Problems.BadRequest("The session channel is a WebSocket: connect with the ticket from open or reconnect.");
        }

        if (registry.Redeem(id, ticket) is not { } session)
        {
            return Problems.Unauthorized("This channel ticket is unknown, used or expired: ask for a new one with POST …/reconnect.");
        }

        if (session.Ended.IsCompleted || !session.TryAttachChannel())
        {
            return Problems.Conflict(session.Ended.IsCompleted ? $"This login session has ended ({session.Ended.Result})." : "This login session already has a viewer attached.");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        try
        {
            await relay.RunAsync(socket, session, context.RequestAborted);
        }
        finally
        {
            session.DetachChannel();
        }

        return Results.Empty;
    }

    private static ProblemHttpResult Refused(LoginSessionRefusedException e) => e.Status switch
    {
        404 => Problems.NotFound(e.Message),
        409 => Problems.Conflict(e.Message),
        _ => Problems.Unavailable(e.Message),
    };
}
