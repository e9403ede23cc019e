/**
 * A service made highly available, the docs' three ways: ExternalIP, NodePort, or a
 * host-networked workload. Resolves the props into the failover instance's props and the
 * Service object, checking what the docs only warn about (a workload whose selector or replica
 * count differs from the failover's).
 */
import type { IService } from 'kubernetes-models/v1/Service';
import type { AddressAllocator } from '../plan/address-pool';
import {
  checkDnsLabel,
  checkInteger,
  checkLabels,
  checkPortName,
  checkReplicas,
  isPlainObject,
} from '../rules/validators';
import { isProblem, quotedChoices, toIssues, type Issue, type Problem } from '../model/issues';
import type { KubeObject } from '../model/kube-object';
import { checkPropsObject, nameFromId, parseVirtualIpsProp } from '../spec/normalize';
import { DEFAULTS } from '../model/defaults';
import { omitKeys, valueAt } from '../support/plain-data';
import { EXPOSURES, type HaServiceOptions, type HaServicePort, type IpFailoverOptions } from '../model/props';

/** What a front end reads off a host-networked workload (a cdk8s-plus or Pulumi Deployment). */
export interface WorkloadFacts {
  /** Where the workload is declared, for messages. */
  readonly path: string;
  /** Its replica count, if it states one. */
  readonly replicas?: number;
  /** Its pods' node selector. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Whether its pods use the host network. */
  readonly hostNetwork: boolean;
  /** Its containers' ports, in order. */
  readonly containerPorts: readonly number[];
  /** Whether it selects nodes by an affinity that is not a plain label match. */
  readonly complexAffinity?: boolean;
}

/** Node labels required by `In` expressions with one value: how cdk8s-plus writes `attract`. */
function labelsFromAffinity(affinity: unknown): { labels: Record<string, string>; complex: boolean } {
  const terms = valueAt(
    affinity,
    'nodeAffinity',
    'requiredDuringSchedulingIgnoredDuringExecution',
    'nodeSelectorTerms',
  );
  if (!Array.isArray(terms) || terms.length === 0)
    return { labels: {}, complex: valueAt(affinity, 'nodeAffinity') !== undefined };
  const labels: Record<string, string> = {};
  let complex = terms.length > 1;
  const expressions = valueAt(terms[0], 'matchExpressions');
  for (const expression of Array.isArray(expressions) ? expressions : []) {
    const values = valueAt(expression, 'values');
    if (valueAt(expression, 'operator') === 'In' && Array.isArray(values) && values.length === 1) {
      labels[String(valueAt(expression, 'key'))] = String(values[0]);
    } else complex = true;
  }
  return { labels, complex };
}

/**
 * Reads the facts the failover must match off a Deployment as plain data (what cdk8s-plus
 * synthesizes, or the args of a Pulumi Deployment).
 */
export function workloadFactsOf(path: string, deployment: unknown): WorkloadFacts {
  const spec = valueAt(deployment, 'spec');
  const pod = valueAt(spec, 'template', 'spec');
  const fromAffinity = labelsFromAffinity(valueAt(pod, 'affinity'));
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const nodeSelector = valueAt(pod, 'nodeSelector');
  const replicas = valueAt(spec, 'replicas');
  return {
    path,
    ...(typeof replicas === 'number' && { replicas }),
    nodeSelector: {
      ...(isPlainObject(nodeSelector) ? (nodeSelector as Record<string, string>) : {}),
      ...fromAffinity.labels,
    },
    hostNetwork: valueAt(pod, 'hostNetwork') === true,
    containerPorts: list(valueAt(pod, 'containers')).flatMap((c) =>
      list(valueAt(c, 'ports')).map((p) => Number(valueAt(p, 'containerPort'))),
    ),
    ...(fromAffinity.complex && { complexAffinity: true }),
  };
}

/** The issue of a `pool` or `workload` that is not what the front end takes (JavaScript callers). */
export function wrongKindIssue(path: string, field: 'pool' | 'workload', value: unknown, kind: string): Issue {
  return { path, field, value, problem: `is not ${kind}`, fix: `pass ${kind}, or leave it out` };
}

/** Where an HaService sits and what it draws on. */
export interface HaServiceContext {
  readonly path: string;
  readonly id: string;
  readonly defaultNamespace?: string;
  /** The ExternalIP pool to allocate from, if any. */
  readonly pool?: AddressAllocator;
  /** The host-networked workload (`exposure: 'hostNetwork'`). */
  readonly workload?: WorkloadFacts;
}

/** What resolving an HaService gives. */
export interface ResolvedHaService {
  /** Name of the Service (and base of the failover's name). */
  readonly name: string;
  /** The VIPs clients use. */
  readonly virtualIps: readonly string[];
  /** Props of the failover instance to create; absent when the pool's instance serves the VIPs. */
  readonly failover?: IpFailoverOptions;
  /** The Service to create; absent for `hostNetwork`. */
  readonly service?: KubeObject;
  readonly issues: readonly Issue[];
}

/** The failover instance of a service is named after it: `ipf-<service>`, as the docs name theirs. */
export function failoverNameOf(serviceName: string): string {
  return `ipf-${serviceName}`;
}

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** One Service port, by shape and by what the API server accepts. */
function checkServicePort(port: unknown, needsNodePort: boolean): Problem[] {
  if (!isPlainObject(port))
    return [
      {
        value: port,
        problem: 'is not a port',
        fix: 'give { port: 443 }, with targetPort, nodePort, protocol and name as needed',
      },
    ];
  const problems = [
    checkInteger(port.port, 1, 65535, 'a service port'),
    port.targetPort === undefined ? undefined : checkInteger(port.targetPort, 1, 65535, 'a target port'),
  ];
  if (port.protocol !== undefined && !PROTOCOLS.includes(port.protocol as never)) {
    problems.push({ value: port.protocol, problem: 'is not a Service protocol', fix: "use 'TCP', 'UDP' or 'SCTP'" });
  }
  if (port.name !== undefined) problems.push(checkPortName(port.name));
  if (needsNodePort && port.nodePort === undefined) {
    problems.push({
      value: port,
      problem: 'has no nodePort',
      fix: 'set nodePort (30000..32767 by default): the failover pods check it from the start',
    });
  } else if (port.nodePort !== undefined) {
    problems.push(checkInteger(port.nodePort, 1, 65535, 'a node port'));
  }
  return problems.filter((p): p is Problem => p !== undefined);
}

/** The ports as a whole: a list, each valid, names unique and given when there are several, no port twice. */
function checkServicePorts(ports: unknown, needsNodePort: boolean): Problem[] {
  if (!Array.isArray(ports))
    return [{ value: ports, problem: 'is not a list of ports', fix: 'give a list such as [{ port: 443 }]' }];
  if (ports.length === 0) return [{ value: ports, problem: 'lists no port', fix: 'give the service port(s)' }];
  const problems = ports.flatMap((p) => checkServicePort(p, needsNodePort));
  if (problems.length > 0) return problems;
  const valid = ports as HaServicePort[];
  if (valid.length > 1 && valid.some((p) => p.name === undefined))
    problems.push({
      value: valid.length,
      problem: 'ports are not all named',
      fix: 'name every port, as Kubernetes requires',
    });
  const twice = <T>(values: T[]): T | undefined => values.find((v, i) => values.indexOf(v) !== i);
  const name = twice(valid.flatMap((p) => p.name ?? []));
  if (name !== undefined)
    problems.push({ value: name, problem: 'names two ports', fix: 'give each port its own name' });
  const port = twice(valid.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`));
  if (port !== undefined)
    problems.push({ value: port, problem: 'is listed twice', fix: 'list each port and protocol once' });
  const nodePort = twice(
    valid.flatMap((p) => (p.nodePort === undefined ? [] : [`${p.nodePort}/${p.protocol ?? 'TCP'}`])),
  );
  if (nodePort !== undefined)
    problems.push({
      value: nodePort,
      problem: 'is the node port of two ports',
      fix: 'give each port its own nodePort',
    });
  return problems;
}

function serviceObject(name: string, namespace: string, props: HaServiceOptions, vips: readonly string[]): KubeObject {
  const nodePort = props.exposure === 'nodePort';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      type: nodePort ? 'NodePort' : 'ClusterIP',
      selector: { ...props.selector },
      ports: (props.ports ?? []).map((p) => ({
        ...(p.name !== undefined && { name: p.name }),
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol: p.protocol ?? 'TCP',
        ...(p.nodePort !== undefined && { nodePort: p.nodePort }),
      })),
      ...(!nodePort && { externalIPs: [...vips] }),
    },
  } satisfies IService;
}

/** Checks the failover against the workload: the docs' "same selector and replication count". */
function matchWorkload(
  props: HaServiceOptions,
  workload: WorkloadFacts | undefined,
  issue: (field: string, p: Problem) => void,
): Partial<IpFailoverOptions> {
  if (!workload) {
    issue('workload', {
      value: undefined,
      problem: "is required with exposure 'hostNetwork'",
      fix: 'pass the host-networked Deployment the VIPs lead to',
    });
    return {};
  }
  if (!workload.hostNetwork) {
    issue('workload', {
      value: workload.path,
      problem: 'does not use the host network',
      fix: "use exposure 'externalIp' or 'nodePort' for a pod-networked workload",
    });
  }
  const replicas = workload.replicas ?? 1;
  // A wrong-typed prop gets its own message, not a "differs" one.
  const badReplicas = props.replicas === undefined ? undefined : checkReplicas(props.replicas);
  const badSelector = props.nodeSelector === undefined ? [] : checkLabels(props.nodeSelector, workload.nodeSelector);
  if (badReplicas) issue('replicas', badReplicas);
  badSelector.forEach((p) => issue('nodeSelector', p));
  if (badReplicas || badSelector.length > 0) return {};
  if (props.replicas !== undefined && props.replicas !== replicas) {
    issue('replicas', {
      value: props.replicas,
      problem: `differs from the ${replicas} replicas of '${workload.path}': some nodes would never serve or never get traffic`,
      fix: `use ${replicas}, or leave it out`,
    });
  }
  const selector = JSON.stringify(Object.entries(workload.nodeSelector).sort());
  if (workload.complexAffinity && props.nodeSelector === undefined) {
    issue('nodeSelector', {
      value: undefined,
      problem: `cannot be copied from the node affinity of '${workload.path}'`,
      fix: 'set nodeSelector to labels that pick the same nodes',
    });
  } else if (
    props.nodeSelector !== undefined &&
    !workload.complexAffinity &&
    JSON.stringify(Object.entries(props.nodeSelector).sort()) !== selector
  ) {
    issue('nodeSelector', {
      value: props.nodeSelector,
      problem: `differs from the node selector of '${workload.path}' (${selector})`,
      fix: 'use the same selector, or leave it out',
    });
  }
  if (props.monitorPort === undefined && workload.containerPorts.length === 0) {
    issue('monitorPort', {
      value: undefined,
      problem: `cannot be taken from '${workload.path}', which declares no container port`,
      fix: 'set monitorPort, or 0 for no check',
    });
  }
  return {
    replicas,
    nodeSelector: props.nodeSelector ?? workload.nodeSelector,
    monitorPort: props.monitorPort ?? workload.containerPorts[0] ?? 0,
  };
}

/** The VIPs: explicit, claimed inside the pool, or allocated from it. */
function resolveVips(
  props: HaServiceOptions,
  name: string,
  pool: AddressAllocator | undefined,
  issue: (field: string, p: Problem) => void,
): readonly string[] {
  if (pool && props.exposure !== 'externalIp') {
    issue('pool', {
      value: pool.range.cidr,
      problem: 'serves ExternalIP services only',
      fix: "use exposure 'externalIp', or give virtualIps instead",
    });
    return [];
  }
  if (props.virtualIps === undefined) {
    if (!pool) {
      issue('virtualIps', {
        value: undefined,
        problem: 'is required without a pool',
        fix: 'give the VIPs, or a pool to allocate them from',
      });
      return [];
    }
    const allocated = pool.allocate(name, props.addressCount ?? 1);
    if (isProblem(allocated)) issue('addressCount', allocated);
    return isProblem(allocated) ? [] : allocated;
  }
  const parsed = parseVirtualIpsProp(props.virtualIps);
  parsed.problems.forEach((p) => issue('virtualIps', p));
  if (pool && parsed.problems.length === 0) pool.claim(name, parsed.vips).forEach((p) => issue('virtualIps', p));
  return parsed.vips;
}

/**
 * Resolves an HaService: its VIPs, the failover instance's props (unless the pool's instance
 * already serves its VIPs) and the Service (unless host-networked). Never throws.
 */
export function resolveHaService(props: HaServiceOptions, context: HaServiceContext): ResolvedHaService {
  const notObject = checkPropsObject(
    context.path,
    props,
    '{ exposure: \'externalIp\', virtualIps: "192.0.2.10", selector: { app: "web" }, ports: [{ port: 443 }] }',
  );
  if (notObject.length > 0) return { name: nameFromId(context.id), virtualIps: [], issues: notObject };
  const issues: Issue[] = [];
  const issue = (field: string, p: Problem): void => void issues.push(...toIssues(context.path, field, [p]));
  const name = props.name ?? nameFromId(context.id);
  const namespace = props.namespace ?? context.defaultNamespace ?? DEFAULTS.namespace;
  const nameProblem = checkDnsLabel(name, 59);
  if (nameProblem) issue('name', nameProblem);
  // The Service is created here, so its namespace is checked here too (the failover checks its own).
  const namespaceProblem = checkDnsLabel(namespace);
  if (namespaceProblem) issue('namespace', namespaceProblem);
  if (!(EXPOSURES as readonly unknown[]).includes(props.exposure)) {
    issue('exposure', {
      value: props.exposure,
      problem: 'is not a way to expose a service',
      fix: `use ${quotedChoices(EXPOSURES)}`,
    });
    return { name, virtualIps: [], issues };
  }
  const vips = resolveVips(props, name, context.pool, issue);

  let failoverOverrides: Partial<IpFailoverOptions>;
  let service: KubeObject | undefined;
  if (props.exposure === 'hostNetwork') {
    failoverOverrides = matchWorkload(props, context.workload, issue);
  } else {
    checkServicePorts(props.ports ?? [], props.exposure === 'nodePort').forEach((problem) => issue('ports', problem));
    const selector = props.selector ?? {};
    const selectorProblems = checkLabels(selector, { app: 'web' });
    selectorProblems.forEach((p) => issue('selector', p));
    if (selectorProblems.length === 0 && Object.keys(selector).length === 0)
      issue('selector', { value: selector, problem: 'selects no pods', fix: "give the labels of the service's pods" });
    if (issues.length > 0) return { name, virtualIps: vips, issues };
    const ports = props.ports ?? [];
    const first = ports[0];
    const derivedPort = props.exposure === 'nodePort' ? first?.nodePort : first?.port;
    failoverOverrides = { monitorPort: props.monitorPort ?? derivedPort ?? 0 };
    service = serviceObject(name, namespace, props, vips);
  }
  if (issues.length > 0) return { name, virtualIps: vips, issues };

  const failover: IpFailoverOptions | undefined =
    context.pool && props.exposure === 'externalIp'
      ? undefined
      : {
          ...omitKeys(props, SERVICE_ONLY),
          ...failoverOverrides,
          virtualIps: vips,
          name: failoverNameOf(name),
          namespace,
        };
  return { name, virtualIps: vips, ...(failover && { failover }), ...(service && { service }), issues };
}

/** The HaService options that are not IpFailover props. */
const SERVICE_ONLY = ['exposure', 'virtualIps', 'addressCount', 'ports', 'selector', 'name', 'namespace'] as const;
