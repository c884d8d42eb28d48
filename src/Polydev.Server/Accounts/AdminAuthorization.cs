using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Accounts;

/// <summary>Settings under <c>Admin</c>: who may see operator views such as the egress port list.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>E-mails of accounts with operator rights (<c>POLYDEV_ADMIN__EMAILS__0=ops@example.com</c>).</summary>
    public List<string> Emails { get; set; } = [];
}

/// <summary>Operator endpoints: a password login (not an API token) of an account listed in <see cref="AdminOptions.Emails"/>.</summary>
public sealed class AdminRequirement : IAuthorizationRequirement
{
    public const string Policy = "admin";
}

internal sealed class AdminAuthorizationHandler(AccountStore accounts, IOptionsMonitor<AdminOptions> options) : AuthorizationHandler<AdminRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, AdminRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated != true || !context.User.IsInteractive())
        {
            return;
        }

        var admins = options.CurrentValue.Emails;
        if (admins.Count == 0)
        {
            return;
        }

        var user = await accounts.FindAsync(context.User.UserId(), CancellationToken.None);
        if (user is not null && admins.Any(email => EmailAddress.TryNormalize(email, out var normalized) && normalized == user.Email))
        {
            context.Succeed(requirement);
        }
    }
}
