// Path patterns to pages. History API routing: the server serves index.html for every app path, so a reload or a
// shared link lands on the same page.
import type { PageDefinition } from "./pages/page.ts";

export interface RouteMatch {
  readonly definition: PageDefinition;
  readonly params: Readonly<Record<string, string>>;
}

export class Router {
  private readonly routes: { definition: PageDefinition; pattern: RegExp; names: string[] }[] = [];

  add(definition: PageDefinition): void {
    const names: string[] = [];
    const source = definition.path
      .split("/")
      .map((part) => {
        if (!part.startsWith(":")) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        names.push(part.slice(1));
        return "([^/]+)";
      })
      .join("/");
    this.routes.push({ definition, pattern: new RegExp(`^${source}/?$`), names });
  }

  match(pathname: string): RouteMatch | null {
    for (const route of this.routes) {
      const found = route.pattern.exec(pathname);
      if (!found) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1]!);
      });
      return { definition: route.definition, params };
    }
    return null;
  }
}
