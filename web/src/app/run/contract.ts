// Building values of the types generated from the C# contract (contract.generated.ts).

/**
 * Every member of `T`, each named; an optional one may be undefined. Building a value through this type is what
 * makes a member added to the contract fail the type check where the value is built, optional members included.
 */
export type Members<T> = { readonly [K in keyof T]-?: {} extends Pick<T, K> ? T[K] | undefined : T[K] };

/** The value with its undefined members left out, so "absent" stays absent (never null) and the order is kept. */
export function present<T>(members: Members<T>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(members)) if (value !== undefined) out[key] = value;
  return out as T;
}
