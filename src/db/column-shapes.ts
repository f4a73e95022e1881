/**
 * Column subsets read instead of whole rows (`Loaders.columnsFor`, `paginate`), process-wide:
 * each is a statement text prepared on every pooled connection (db/prepared.ts names at most
 * 500), so past MAX_SHAPES distinct subsets, reads take whole rows again.
 */
const shapes = new Set<string>();
const MAX_SHAPES = 64;

/** Whether a read may use this subset (`kind:columns`): known, or room for one more. */
export function admitShape(shape: string): boolean {
  if (shapes.has(shape)) return true;
  if (shapes.size >= MAX_SHAPES) return false;
  shapes.add(shape);
  return true;
}
