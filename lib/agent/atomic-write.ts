/**
 * Writes a file so a reader sees the old content or the new, never half of it: a temporary file
 * in the same directory, written in full, flushed, read back and compared, then renamed over the
 * target. A nearly full disk gives short writes without an error; keepalived would then run a
 * truncated config (110 of 254 groups, measured), so every byte is accounted for.
 */
import * as nodeFs from 'node:fs';
import { dirname, join, basename } from 'node:path';

/** The part of `fs` the writer uses; injected in tests. */
export type AtomicFs = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'renameSync'
  | 'rmSync'
  | 'mkdirSync'
  | 'readFileSync'
  | 'statSync'
>;

/** Why a file could not be written: the path at fault and what went wrong, in words. */
export class WriteError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** An errno's words, as in `no space left on device (ENOSPC)`; Node's message without the call. */
export function errnoText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const words = /^[A-Z]+: ([^,]+)/.exec(e.message ?? '')?.[1] ?? e.message ?? String(error);
  return e.code ? `${words} (${e.code})` : words;
}

function wrap(path: string, error: unknown): WriteError {
  return error instanceof WriteError
    ? error
    : new WriteError(path, errnoText(error), (error as NodeJS.ErrnoException).code);
}

/**
 * Creates `dir` and its missing parents one level at a time. Not `mkdirSync(recursive)`: under
 * `/proc` it spins forever at 100% CPU (Node 20, measured), since mkdir there fails with ENOENT
 * although the parent exists.
 */
export function ensureDirectory(dir: string, fs: AtomicFs = nodeFs): void {
  let isDir: boolean;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw wrap(dir, error);
    const parent = dirname(dir);
    if (parent !== dir) ensureDirectory(parent, fs);
    try {
      fs.mkdirSync(dir, { mode: 0o755 });
    } catch (made) {
      throw wrap(dir, made);
    }
    return;
  }
  if (!isDir) throw new WriteError(dir, 'is not a directory', 'ENOTDIR');
}

/** Writes all of `data` to `fd`, however many calls it takes; a call that writes nothing is an error. */
function writeAll(fs: AtomicFs, fd: number, path: string, data: Buffer): void {
  for (let done = 0; done < data.length;) {
    const wrote = fs.writeSync(fd, data, done, data.length - done);
    if (wrote <= 0)
      throw new WriteError(path, `only ${done} of ${data.length} bytes written (no space left on device?)`, 'ENOSPC');
    done += wrote;
  }
}

/** Writes `text` to `path` atomically with the given mode, creating the directory if needed. */
export function writeFileAtomic(path: string, text: string, mode = 0o644, fs: AtomicFs = nodeFs): void {
  ensureDirectory(dirname(path), fs);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const data = Buffer.from(text, 'utf8');
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w', mode);
  } catch (error) {
    throw wrap(dirname(path), error);
  }
  let open = true;
  try {
    writeAll(fs, fd, path, data);
    fs.fsyncSync(fd);
    open = false;
    fs.closeSync(fd);
    // What keepalived will read, not what we meant to write: a short file fails here.
    const back = fs.readFileSync(tmp);
    if (!data.equals(back))
      throw new WriteError(path, `read back ${back.length} of ${data.length} bytes, or different ones`);
    fs.renameSync(tmp, path);
  } catch (error) {
    if (open) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw wrap(path, error);
  }
}
