/**
 * A fake `openstack` CLI over in-memory Neutron ports, with the real CLI's semantics where they
 * matter here: `port set --allowed-address` appends to the port's pairs (Neutron refuses a
 * duplicate), `port unset --allowed-address` removes exactly the pair named and fails when the
 * port has no such pair, `--tag`/`--tag` add and remove tags, `-f json` prints lists and
 * `-f value` prints the human-readable forms.
 *
 * It has no imports, so it can also be transpiled on its own and run as an executable
 * (`node fake.js` with `FAKE_OPENSTACK_STATE` naming a JSON file) for the cdk8s shell scripts.
 */
export interface FakePair {
  ip_address: string;
  mac_address: string;
}

export interface FakePort {
  id: string;
  mac_address: string;
  allowed_address_pairs: FakePair[];
  tags: string[];
}

export type FakeNeutron = Record<string, FakePort>;

/** Every command the fake ran, in order. */
export type CommandLog = string[][];

function parsePair(text: string, port: FakePort): FakePair {
  const fields = Object.fromEntries(text.split(',').map((kv) => kv.split('=') as [string, string]));
  const ip = fields['ip-address'];
  if (!ip) throw new Error(`bad --allowed-address ${text}`);
  // Neutron stores the port's MAC when the pair gives none.
  return { ip_address: ip, mac_address: fields['mac-address'] ?? port.mac_address };
}

/** Runs one CLI invocation against `ports`; returns stdout or throws like a failing command. */
export function fakeOpenstack(ports: FakeNeutron, argv: readonly string[], log?: CommandLog): string {
  log?.push([...argv]);
  const args = [...argv];
  if (args[0] !== 'port') throw new Error(`fake openstack: unsupported ${args.join(' ')}`);
  const verb = args[1];
  const portId = args[args.length - 1] as string;
  const port = ports[portId];
  if (!port) throw new Error(`No Port found for ${portId}`);
  const options: Array<[string, string]> = [];
  for (let i = 2; i < args.length - 1; i += 2) options.push([args[i] as string, args[i + 1] as string]);

  if (verb === 'show') {
    const format = options.find(([k]) => k === '-f')?.[1] ?? 'table';
    const columns = options.filter(([k]) => k === '-c').map(([, v]) => v);
    const view: Record<string, unknown> = {};
    for (const c of columns) view[c] = (port as unknown as Record<string, unknown>)[c];
    if (format === 'json') return JSON.stringify(view, null, 2);
    if (format === 'value') {
      return (
        columns
          .map((c) => {
            if (c === 'allowed_address_pairs')
              return port.allowed_address_pairs
                .map((p) => `ip_address='${p.ip_address}', mac_address='${p.mac_address}'`)
                .join('\n');
            if (c === 'tags') return port.tags.join(', ');
            return String(view[c]);
          })
          .join('\n') + '\n'
      );
    }
    throw new Error(`fake openstack: unsupported format ${format}`);
  }
  if (verb === 'set') {
    const pairs = [...port.allowed_address_pairs];
    for (const [k, v] of options) {
      if (k === '--allowed-address') {
        const pair = parsePair(v, port);
        if (pairs.some((p) => p.ip_address === pair.ip_address && p.mac_address === pair.mac_address)) {
          throw new Error(`BadRequestException: 400: Request contains duplicate address pair: ${v}`);
        }
        pairs.push(pair);
      } else if (k === '--tag') {
        if (!port.tags.includes(v)) port.tags.push(v);
      } else throw new Error(`fake openstack: unsupported option ${k}`);
    }
    port.allowed_address_pairs = pairs;
    return '';
  }
  if (verb === 'unset') {
    const pairs = [...port.allowed_address_pairs];
    const tags = [...port.tags];
    for (const [k, v] of options) {
      if (k === '--allowed-address') {
        const wanted = v.split(',').map((kv) => kv.split('='));
        const ip = wanted.find(([key]) => key === 'ip-address')?.[1];
        const mac = wanted.find(([key]) => key === 'mac-address')?.[1];
        // The CLI compares the whole dict: a pair given without its MAC matches nothing.
        const index = pairs.findIndex((p) => p.ip_address === ip && mac !== undefined && p.mac_address === mac);
        if (index < 0) throw new Error(`Port does not contain allowed-address-pair ${v}`);
        pairs.splice(index, 1);
      } else if (k === '--tag') {
        const index = tags.indexOf(v);
        if (index >= 0) tags.splice(index, 1);
      } else throw new Error(`fake openstack: unsupported option ${k}`);
    }
    port.allowed_address_pairs = pairs;
    port.tags = tags;
    return '';
  }
  throw new Error(`fake openstack: unsupported port ${verb}`);
}

/** A node port as the installer leaves it: the cluster's API and ingress VIPs as pairs. */
export function nodePort(
  id: string,
  mac: string,
  clusterVips: readonly string[] = ['192.168.0.5', '192.168.0.7'],
): FakePort {
  return {
    id,
    mac_address: mac,
    allowed_address_pairs: clusterVips.map((ip) => ({ ip_address: ip, mac_address: mac })),
    tags: ['openshiftClusterID=ostest-abcde'],
  };
}

/** The file-system calls {@link main} needs (passed in, so the module has no imports). */
export interface StateFiles {
  readFileSync(path: string, encoding: 'utf8'): string;
  writeFileSync(path: string, data: string): void;
}

/** Entry point when run as an executable (see the file comment). */
export function main(fs: StateFiles): void {
  const file = process.env['FAKE_OPENSTACK_STATE'] as string;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { ports: FakeNeutron; log: CommandLog };
  try {
    process.stdout.write(fakeOpenstack(state.ports, process.argv.slice(2), state.log));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
  fs.writeFileSync(file, JSON.stringify(state));
}
