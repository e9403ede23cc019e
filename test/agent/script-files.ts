/** Real script files for the script-check tests: one of each case the agent must judge. */
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A script that runs and passes. */
export const OK_SCRIPT = '#!/bin/sh\nexit 0\n';

/** Files (relative path → text and mode) laid out by {@link makeScriptTree}. */
const FILES: Record<string, [string, number]> = {
  'good.sh': [OK_SCRIPT, 0o755],
  'cm/..2026_01_01/check.sh': [OK_SCRIPT, 0o755],
  'open.sh': [OK_SCRIPT, 0o777],
  'plain.sh': [OK_SCRIPT, 0o644],
  'private/check.sh': [OK_SCRIPT, 0o755],
  'suid.sh': [OK_SCRIPT, 0o4777],
  'noread.sh': [OK_SCRIPT, 0o711],
  'interp.sh': ['#!/nonexistent/sh\nexit 1\n', 0o755],
};

/**
 * Makes a directory directly under /tmp (the test run's own temporary directory is private to
 * its user, and nobody must be able to search every directory above the scripts) holding
 * {@link FILES}, a directory `dir.sh`, a private directory `private` (0700), a link to nothing
 * `dangling.sh`, and the kubelet's ConfigMap layout `cm/check.sh -> ..data/check.sh`,
 * `cm/..data -> ..2026_01_01`. Returns its path.
 */
export function makeScriptTree(): string {
  const dir = mkdtempSync('/tmp/ipf-scripts-');
  mkdirSync(join(dir, 'dir.sh'));
  mkdirSync(join(dir, 'private'));
  mkdirSync(join(dir, 'cm', '..2026_01_01'), { recursive: true });
  symlinkSync('..2026_01_01', join(dir, 'cm', '..data'));
  symlinkSync('..data/check.sh', join(dir, 'cm', 'check.sh'));
  symlinkSync('nowhere.sh', join(dir, 'dangling.sh'));
  // Modes set after creation, so the test's umask cannot change them.
  for (const [file, [text, mode]] of Object.entries(FILES)) {
    writeFileSync(join(dir, file), text);
    chmodSync(join(dir, file), mode);
  }
  for (const [sub, mode] of Object.entries({
    '.': 0o755,
    'dir.sh': 0o755,
    cm: 0o777,
    'cm/..2026_01_01': 0o755,
    private: 0o700,
  }))
    chmodSync(join(dir, sub), mode);
  return dir;
}
