import { useCallback, useEffect, useState } from 'react';
import { api } from './api.js';

const PAGE = 1000;

/** Every item of a search route, page by page (a page holds at most 1000). */
export async function searchAll<T>(path: string, body: { filter?: object; sort?: object[] }): Promise<T[]> {
  const all: T[] = [];
  for (let from = 0; ; from += PAGE) {
    const res = await api.post<{ items: T[]; page: { totalItems: number } }>(path, {
      ...body,
      page: { from, limit: PAGE },
    });
    all.push(...res.items);
    if (res.items.length < PAGE || all.length >= res.page.totalItems) break;
  }
  return all;
}

/** The versions of one deployed resource (a process, form or rule set), newest first. */
export interface Versions<T> {
  id: string;
  latest: T;
  versions: T[];
}

/** Deployed versions grouped by their resource id, newest version first, ids in order. */
export function byResource<T extends { version: number }>(
  items: T[],
  idOf: (item: T) => string,
): Versions<T>[] {
  const byId = new Map<string, T[]>();
  for (const item of items) {
    const list = byId.get(idOf(item)) ?? [];
    list.push(item);
    byId.set(idOf(item), list);
  }
  return [...byId.entries()]
    .map(([id, versions]) => {
      versions.sort((a, b) => b.version - a.version);
      return { id, latest: versions[0], versions };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * What a list page shows: `load` runs when the page opens and whenever it changes (wrap it in
 * useCallback with what it depends on, e.g. the tenant). `items` is null while loading, empty
 * after a failure, whose error is in `error`.
 */
export function useList<T>(load: () => Promise<T[]>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<unknown>();
  const reload = useCallback(async () => {
    setError(undefined);
    try {
      setItems(await load());
    } catch (err) {
      setError(err);
      setItems([]);
    }
  }, [load]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { items, error, setError, reload };
}
