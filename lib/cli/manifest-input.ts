/**
 * Reading manifests for `ipfailover plan`: files and directories as a user names them, the way
 * `oc get -o yaml` and `cdk8s synth` write them (multi-document YAML, `kind: List`, JSON arrays).
 * Whatever the input, it never blocks (FIFOs and devices are refused, not opened), never loops
 * (directory links are followed once), never reads a file twice, and never reads more than
 * {@link MAX_INPUT_BYTES}; anything it cannot read is an {@link InputError} naming the file.
 */
import { closeSync, fstatSync, openSync, readFileSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Input the command cannot read: exit 2, with this message naming the file. */
export class InputError extends Error {}

/** The most the command reads, all files together: a stack's manifests are kilobytes, not gigabytes. */
export const MAX_INPUT_BYTES = 32 * 2 ** 20;

/** File names read inside a directory. */
const MANIFEST_FILE = /\.(ya?ml|json)$/;

/** Nesting of `kind: List` items and arrays that is still read (`oc get` writes one level). */
const MAX_LIST_DEPTH = 8;

/** Aliases one YAML document may expand (the YAML library's own bound, said explicitly). */
const MAX_ALIASES = 100;

/** A file-system error as a short reason. */
function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ELOOP: 'too many levels of symbolic links',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
  };
  return (code && known[code]) ?? (error as Error).message;
}

function statOf(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    throw new InputError(`${path}: ${reason(error)}`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What the walk has seen: directories and files by their real paths. */
interface Seen {
  readonly dirs: Set<string>;
  readonly files: Set<string>;
}

function realPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch (error) {
    throw new InputError(`${path}: ${reason(error)}`);
  }
}

/** The manifest files under one named path, each real file once. */
function filesUnder(path: string, named: boolean, seen: Seen): string[] {
  const stat = statOf(path);
  if (stat.isDirectory()) {
    const real = realPath(path);
    if (seen.dirs.has(real)) return []; // a link back into what is being read
    seen.dirs.add(real);
    let entries: string[];
    try {
      entries = readdirSync(path).sort();
    } catch (error) {
      throw new InputError(`${path}: ${reason(error)}`);
    }
    return entries.flatMap((entry) => {
      const child = join(path, entry);
      // Inside a directory only manifests count; sub-directories are read too.
      if (!MANIFEST_FILE.test(entry) && !isDirectory(child)) return [];
      return filesUnder(child, false, seen);
    });
  }
  if (!stat.isFile()) {
    throw new InputError(
      `${path}: not a regular file${named ? '' : ' (a FIFO, socket or device)'}; name manifest files or directories`,
    );
  }
  const real = realPath(path);
  if (seen.files.has(real)) return [];
  seen.files.add(real);
  return [path];
}

/** Every manifest file of the named files and directories, in order, each once. */
export function manifestFiles(paths: readonly string[]): string[] {
  const seen: Seen = { dirs: new Set(), files: new Set() };
  return paths.flatMap((path) => filesUnder(path, true, seen));
}

/** Reads a regular file, at most `budget` bytes of it, or says why not. */
function readBounded(file: string, budget: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new InputError(`${file}: ${reason(error)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`${file}: not a regular file; name manifest files or directories`);
    if (stat.size > budget)
      throw new InputError(
        `${file}: the input passes ${MAX_INPUT_BYTES / 2 ** 20} MiB; plan reads manifests, name only those`,
      );
    return readFileSync(fd, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${file}: ${reason(error)}`);
  } finally {
    closeSync(fd);
  }
}

/** The objects of a document: an object, the items of a `kind: List`, or a JSON array's elements. */
function objectsOf(value: unknown, depth = 0): unknown[] {
  if (value === null || value === undefined) return [];
  if (depth > MAX_LIST_DEPTH) return [value];
  if (Array.isArray(value)) return value.flatMap((v) => objectsOf(v, depth + 1));
  const record = value as Record<string, unknown>;
  if (typeof record.kind === 'string' && record.kind.endsWith('List') && Array.isArray(record.items)) {
    return record.items.flatMap((v) => objectsOf(v, depth + 1));
  }
  return [value];
}

/** Parses one file's YAML or JSON documents into objects. */
export function parseManifests(file: string, text: string): unknown[] {
  try {
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    const bad = list.find((d) => d.errors.length > 0);
    if (bad) throw new InputError(`${file}: not valid YAML: ${bad.errors[0]!.message.split('\n')[0]}`);
    return list.flatMap((d) => objectsOf(d.toJS({ maxAliasCount: MAX_ALIASES })));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Every Kubernetes object in the given files and directories. */
export function readManifests(paths: readonly string[]): unknown[] {
  let budget = MAX_INPUT_BYTES;
  return manifestFiles(paths).flatMap((file) => {
    const text = readBounded(file, budget);
    budget -= Buffer.byteLength(text);
    return parseManifests(file, text);
  });
}
