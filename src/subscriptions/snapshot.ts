/** The JSON form of a record inside an event payload: Dates become ISO strings. */
export type Snapshot<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

export function snapshotOf<T extends object>(record: T): Snapshot<T> {
  return JSON.parse(JSON.stringify(record)) as Snapshot<T>;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Rebuilds a record from its snapshot: an instance of `type`, with `...At` fields as Dates. */
export function fromSnapshot<T extends object>(type: new () => T, snapshot: Snapshot<T>): T {
  const record = new type();
  for (const [key, value] of Object.entries(snapshot)) {
    (record as Record<string, unknown>)[key] =
      key.endsWith('At') && typeof value === 'string' && ISO.test(value) ? new Date(value) : value;
  }
  return record;
}
