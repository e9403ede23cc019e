/**
 * Pulumi mocks that record every registered resource and refuse any invoke: a test that needs
 * an invoke must say so, so an unexpected one fails instead of returning made-up data.
 */
import * as pulumi from '@pulumi/pulumi';

export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly custom: boolean;
  readonly provider?: string;
}

export interface Recorder {
  readonly resources: Recorded[];
  /** Invoke tokens a test allows, with their results. */
  readonly calls: Map<string, (args: Record<string, unknown>) => Record<string, unknown>>;
  /** What a provider would return as outputs, per resource type (default: the inputs). */
  readonly outputs: Map<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;
}

/** Installs fresh recording mocks (in a mock preview unless told otherwise). */
export async function recordResources(preview = false): Promise<Recorder> {
  const recorder: Recorder = { resources: [], calls: new Map(), outputs: new Map() };
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorder.resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          custom: args.custom ?? true,
          ...(args.provider && { provider: args.provider }),
        });
        const outputs = recorder.outputs.get(args.type);
        return {
          id: args.custom === false ? '' : `${args.name}-id`,
          state: outputs ? outputs(args.inputs) : args.inputs,
        };
      },
      call(args) {
        const handler = recorder.calls.get(args.token);
        if (!handler) throw new Error(`unexpected invoke ${args.token}`);
        return handler(args.inputs);
      },
    },
    'project',
    'stack',
    preview,
  );
  return recorder;
}

/** The resolved value of an output. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits until the given resources are registered (their URNs resolved). */
export async function registered(...resources: pulumi.Resource[]): Promise<void> {
  await Promise.all(resources.map((r) => valueOf(r.urn)));
}

/** What a component passed to `registerOutputs`, from the mock monitor. */
export async function registeredOutputs(component: pulumi.ComponentResource): Promise<Record<string, unknown>> {
  const urn = await valueOf(component.urn);
  // Outputs are registered after their inputs resolve; give the monitor a few turns.
  for (let i = 0; i < 50; i++) {
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      getRegisteredResources(): Map<string, { state: unknown }>;
    };
    const state = monitor.getRegisteredResources().get(urn)?.state as
      { toJavaScript?: () => Record<string, unknown> } | undefined;
    if (state && typeof state.toJavaScript === 'function') return state.toJavaScript();
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no outputs registered for ${urn}`);
}

/** The URN the mocks give a resource (parent type chain omitted for top-level ones). */
export function urnOf(type: string, name: string, parentType?: string): string {
  return `urn:pulumi:stack::project::${parentType ? `${parentType}$` : ''}${type}::${name}`;
}

/** The error a constructor throws; fails the test when it does not throw. */
export function thrown(make: () => unknown): Error {
  try {
    make();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the constructor to throw');
}
