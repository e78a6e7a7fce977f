import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertDocumentId, type DocumentStore } from './document-store.js';

/**
 * Documents as files on local disk: `<dir>/<first two characters of the id>/<id>`, written to
 * `<dir>/.tmp/` first, flushed, then renamed into place, so a reader never sees half a file and a
 * crash leaves only a temp file behind. Files are named by document id, never by the user's file
 * name. Only one runtime node should use a local directory unless it is shared storage.
 */
export class LocalDiskDocumentStore implements DocumentStore {
  readonly id: string;
  readonly dir: string;

  constructor(dir: string, id = 'local') {
    this.dir = path.resolve(dir);
    this.id = id;
  }

  private fileOf(documentId: string): string {
    assertDocumentId(documentId);
    return path.join(this.dir, documentId.slice(0, 2), documentId);
  }

  async put(documentId: string, content: Uint8Array | Readable): Promise<void> {
    const file = this.fileOf(documentId);
    const tmpDir = path.join(this.dir, '.tmp');
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    if (await exists(file)) throw new Error(`document <${documentId}> is already stored`);
    const tmp = path.join(tmpDir, `${documentId}.${randomBytes(6).toString('hex')}`);
    const handle = await open(tmp, 'wx', 0o600);
    try {
      if (content instanceof Uint8Array) await handle.writeFile(content);
      else await pipeline(content, handle.createWriteStream({ autoClose: false }));
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
    await handle.close();
    try {
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(documentId: string): Promise<Readable | null> {
    const file = this.fileOf(documentId);
    try {
      const handle = await open(file, 'r');
      return handle.createReadStream({ autoClose: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(documentId: string): Promise<void> {
    await rm(this.fileOf(documentId), { force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
