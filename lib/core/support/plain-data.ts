/** Small helpers for plain objects: props passed on, and values read out of plain data. */

/**
 * `T` with its members writable: for building a readonly result one optional member at a time,
 * since V8 builds `{ ...(cond && { a }) }` through a slow path (about 1 µs per literal).
 */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A copy of `obj` without `keys`: the props one instance passes on to another. */
export function omitKeys<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Omit<T, K> {
  const drop = new Set<PropertyKey>(keys);
  return Object.fromEntries(Object.entries(obj).filter(([key]) => !drop.has(key))) as Omit<T, K>;
}

/** The value at a path of keys in plain data (parsed YAML, synthesized objects), or `undefined`. */
export function valueAt(obj: unknown, ...keys: string[]): unknown {
  let current = obj;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
