using Microsoft.Extensions.Options;

namespace Polydev.Server.Vault;

/// <summary>The vault: chats, their messages and provider credentials, all ciphertext made on the client.</summary>
public static class VaultServices
{
    public static IServiceCollection AddVault(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<VaultOptions>(configuration.GetSection(VaultOptions.Section));
        services.AddUserDataOwner<ChatStore>();
        services.AddUserDataOwner<CredentialStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapVault(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<VaultOptions>>().Value;
        app.MapChatEndpoints(options);
        app.MapCredentialEndpoints(options);
        return app;
    }
}
