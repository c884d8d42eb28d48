using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Polydev.Server.Http;

/// <summary>
/// Drops the body parameter of type <see cref="void"/> that the request delegate generator's metadata gives an endpoint
/// with <c>[AsParameters]</c> and no body (it adds <c>AcceptsMetadata</c> without a type); the OpenAPI document would
/// otherwise fail on it. The generator is what makes the server start quickly: it builds the endpoints' delegates at
/// compile time instead of by reflection at the first request.
/// </summary>
internal sealed class TypelessBodyApiDescriptions : IApiDescriptionProvider
{
    // After the endpoint metadata provider (order -1100), which creates the parameter.
    public int Order => 0;

    public void OnProvidersExecuting(ApiDescriptionProviderContext context)
    {
    }

    public void OnProvidersExecuted(ApiDescriptionProviderContext context)
    {
        foreach (var description in context.Results)
        {
            var removed = 0;
            for (var i = description.ParameterDescriptions.Count - 1; i >= 0; i--)
            {
                var parameter = description.ParameterDescriptions[i];
                if (parameter.Source == BindingSource.Body && (parameter.Type is null || parameter.Type == typeof(void)))
                {
                    description.ParameterDescriptions.RemoveAt(i);
                    removed++;
                }
            }

            if (removed > 0 && !description.ParameterDescriptions.Any(p => p.Source == BindingSource.Body))
            {
                description.SupportedRequestFormats.Clear();
            }
        }
    }
}
