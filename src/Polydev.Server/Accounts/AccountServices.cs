using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Polydev.Contracts.Accounts;

namespace Polydev.Server.Accounts;

/// <summary>Accounts, sessions and API tokens: their stores, bearer authentication, the policies, the endpoints.</summary>
public static class AccountServices
{
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AccountsOptions>(configuration.GetSection(AccountsOptions.Section));
        services.AddSingleton<AccountStore>();
        services.AddSingleton<AccountDeletion>();
        services.AddUserDataOwner<SessionStore>();
        services.AddSingleton<SessionIssuer>();
        services.AddSingleton<SecretHasher>();
        services.AddSingleton<AttemptThrottle>();
        services.AddSingleton<PreloginSalts>();
        services.AddSingleton<AccountRules>();
        services.AddAccountRateLimiting();

        services.AddSingleton<SessionCache>();
        services.AddSingleton<BearerTokenValidator>();
        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.Configure<AdminOptions>(configuration.GetSection(AdminOptions.Section));
        services.AddSingleton<IAuthorizationHandler, AdminAuthorizationHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(PolydevClaims.InteractivePolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(PolydevClaims.TokenKindClaim, TokenKinds.Session))
            .AddPolicy(AdminRequirement.Policy, policy => policy.RequireAuthenticatedUser().AddRequirements(new AdminRequirement()));
        return services;
    }

    /// <summary>The per-address rate limits: after routing (they are per endpoint) and before authentication, which they spare.</summary>
    public static IApplicationBuilder UseAccounts(this IApplicationBuilder app) => app.UseRateLimiter();

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapAuthEndpoints();
        app.MapAccountEndpoints();
        app.MapApiTokenEndpoints();
        return app;
    }
}
