namespace Polydev.Contracts;

/// <summary>The API's paths, shared by the server's endpoint mapping and the client.</summary>
public static class ApiRoutes
{
    public const string Accounts = "/api/accounts";
    public const string Prelogin = "/api/auth/prelogin";
    public const string Login = "/api/auth/login";
    public const string Logout = "/api/auth/logout";
    public const string Sessions = "/api/auth/sessions";
    public const string RecoveryVerify = "/api/auth/recovery/verify";
    public const string RecoveryReset = "/api/auth/recovery/reset";
    public const string Account = "/api/account";
    public const string AccountPassword = "/api/account/password";
    public const string AccountKeys = "/api/account/keys";
    public const string AccountRecovery = "/api/account/recovery";
    public const string AccountDelete = "/api/account/delete";
    public const string Tokens = "/api/tokens";
    public const string Chats = "/api/vault/chats";
    public const string Credentials = "/api/vault/credentials";
    public const string Egress = "/api/egress";
    public const string EgressTokens = "/api/egress/tokens";
    public const string EgressCheck = "/api/egress/check";
    public const string AdminEgressPorts = "/api/admin/egress/ports";
    public const string Executions = "/api/executions";
    public const string AdminSandboxes = "/api/admin/sandboxes";
    public const string Runtimes = "/api/runtimes";
    public const string LoginSessions = "/api/login-sessions";

    public static string Chat(Guid id) => $"{Chats}/{id:D}";
    public static string Messages(Guid chatId) => $"{Chats}/{chatId:D}/messages";
    public static string Message(Guid chatId, Guid id) => $"{Chats}/{chatId:D}/messages/{id:D}";
    public static string Credential(Guid id) => $"{Credentials}/{id:D}";
    public static string Session(Guid id) => $"{Sessions}/{id:D}";
    public static string Token(Guid id) => $"{Tokens}/{id:D}";
    public static string EgressToken(Guid id) => $"{EgressTokens}/{id:D}";
    public static string Execution(Guid id) => $"{Executions}/{id:D}";
    public static string ExecutionStart(Guid id) => $"{Executions}/{id:D}/start";
    public static string ExecutionStream(Guid id, long from = 0) => $"{Executions}/{id:D}/stream?from={from}";
    public static string ExecutionCancel(Guid id) => $"{Executions}/{id:D}/cancel";
    public static string LoginSession(Guid id) => $"{LoginSessions}/{id:D}";
    public static string LoginSessionOpen(Guid id) => $"{LoginSessions}/{id:D}/open";
    public static string LoginSessionReport(Guid id) => $"{LoginSessions}/{id:D}/report";
    public static string LoginSessionCredential(Guid id) => $"{LoginSessions}/{id:D}/credential";
    public static string LoginSessionChannel(Guid id, string ticket) => $"{LoginSessions}/{id:D}/channel?ticket={Uri.EscapeDataString(ticket)}";
}
