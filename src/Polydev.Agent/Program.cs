using Polydev.Agent;

return await AgentProgram.MainAsync(args, Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);
