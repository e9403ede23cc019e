/**
 * Writes a file so a reader sees the old content or the new, never half of it: a temporary file
 * in the same directory, flushed, then renamed over the target.
 */
import * as nodeFs from 'node:fs';
import { dirname, join, basename } from 'node:path';

/** The part of `fs` the writer uses; injected in tests. */
export type AtomicFs = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync' | 'mkdirSync'>;

/** Writes `text` to `path` atomically with the given mode, creating the directory if needed. */
export function writeFileAtomic(path: string, text: string, mode = 0o644, fs: AtomicFs = nodeFs): void {
  fs.mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path);
}
