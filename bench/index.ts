/**
 * `npm run bench`: builds the library (the benches measure the compiled code, as users run it),
 * then runs each bench in turn and prints its lines. To add a bench, write `bench/<name>.ts`
 * exporting a function that returns (or resolves to) the lines to print, and list it below.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type * as FailoverBench from './failover';
import type * as LockBench from './lock';
import type * as PeersBench from './peers';
import type * as SynthBench from './synth';

interface Bench {
  readonly title: string;
  /** Loaded after the build: some benches require `dist/`. */
  readonly run: () => string[] | Promise<string[]>;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const BENCHES: readonly Bench[] = [
  { title: 'synthesis and planner', run: () => (require('./synth') as typeof SynthBench).benchSynth() },
  { title: 'lock: VRRP IDs kept across runs', run: () => (require('./lock') as typeof LockBench).benchLock() },
  {
    title: 'failover (real keepalived in network namespaces)',
    run: () => (require('./failover') as typeof FailoverBench).benchFailover(),
  },
  {
    title: 'peers: balance at start-up with random node names (real keepalived in network namespaces)',
    run: () => (require('./peers') as typeof PeersBench).benchPeers(),
  },
];
/* eslint-enable @typescript-eslint/no-require-imports */

function build(): void {
  const root = join(__dirname, '..');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the build failed');
}

async function main(): Promise<void> {
  build();
  const only = process.argv[2];
  for (const bench of BENCHES.filter((b) => only === undefined || b.title.startsWith(only))) {
    console.log(`== ${bench.title}`);
    for (const line of await bench.run()) console.log(line);
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exitCode = 1;
});
