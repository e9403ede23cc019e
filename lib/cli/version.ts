/**
 * The version of the package the CLI ships in: `package.json` beside `dist/` (in the npm package
 * and in the image). `unknown` where there is none, such as a CLI compiled on its own for tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's version, or `unknown`. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}
