import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_CHECKS } from './manifest-policy';
import { describeObject, render, schemaErrors, unknownFieldErrors, type K8sObject } from './manifests';

/**
 * Renders every overlay with `kubectl kustomize` (no cluster runs here) and checks every object
 * against the Kubernetes schemas, then what Herald needs of it (manifest-policy.ts).
 */
const K8S_DIR = path.resolve(__dirname, '..');
const OVERLAYS = readdirSync(path.join(K8S_DIR, 'overlays'))
  .filter((name) => existsSync(path.join(K8S_DIR, 'overlays', name, 'kustomization.yaml')))
  .sort();

const EXPECTED_OBJECTS = [
  'ConfigMap/herald-config',
  'Deployment/herald-api',
  'Deployment/herald-dispatcher',
  'Deployment/herald-retention',
  'HorizontalPodAutoscaler/herald-dispatcher',
  'Job/herald-migrate',
  'PodDisruptionBudget/herald-api',
  'PodDisruptionBudget/herald-dispatcher',
  'PodDisruptionBudget/herald-retention',
  'Service/herald-api',
  'ServiceAccount/herald',
];

const find = <T>(objects: K8sObject[], id: string): T => {
  const found = objects.find((o) => describeObject(o) === id || describeObject(o).startsWith(`${id}-`));
  if (!found) throw new Error(`${id} not rendered`);
  return found as unknown as T;
};

it('has a production-like overlay and a small one', () => {
  expect(OVERLAYS).toEqual(expect.arrayContaining(['dev', 'production']));
});

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render(path.join(K8S_DIR, 'overlays', overlay));
  });

  it('renders the processes, the migration Job and what they share, and no Secret', () => {
    // The ConfigMap's name carries the hash of its content.
    expect(objects.map((o) => describeObject(o).replace(/^(ConfigMap\/herald-config)-[a-z0-9]+$/, '$1')).sort()).toEqual(EXPECTED_OBJECTS);
  });

  it('validates every object against the Kubernetes schema of its kind', () => {
    expect(schemaErrors(objects)).toEqual([]);
  });

  it('uses no field the Kubernetes schema does not know', () => {
    expect(unknownFieldErrors(objects)).toEqual([]);
  });

  it.each(Object.keys(POLICY_CHECKS) as (keyof typeof POLICY_CHECKS)[])('passes the %s checks', (check) => {
    expect(POLICY_CHECKS[check](objects)).toEqual([]);
  });
});

describe('overlay production', () => {
  it('keeps more than one API pod and dispatcher, and a registry image', () => {
    const objects = render(path.join(K8S_DIR, 'overlays', 'production'));
    expect(find<IDeployment>(objects, 'Deployment/herald-api').spec?.replicas).toBeGreaterThanOrEqual(2);
    expect(find<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler/herald-dispatcher').spec?.minReplicas).toBeGreaterThanOrEqual(2);
    expect(find<IDeployment>(objects, 'Deployment/herald-api').spec?.template.spec?.containers[0]?.image).toMatch(/^[a-z0-9.-]+\.[a-z]+(:\d+)?\/.+:.+$/);
  });
});

describe('a broken manifest', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'herald-k8s-'));
    cpSync(path.join(K8S_DIR, 'base'), path.join(dir, 'base'), { recursive: true });
    mkdirSync(path.join(dir, 'overlays', 'broken'), { recursive: true });
    writeFileSync(
      path.join(dir, 'overlays', 'broken', 'kustomization.yaml'),
      ['namespace: broken', 'bases:', '  - ../../base', 'images:', '  - name: herald', '    newTag: "1.0.0"', 'patchesStrategicMerge:', '  - broken.yaml', ''].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'overlays', 'broken', 'broken.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: herald-api',
        'spec:',
        '  replicas: three',
        '---',
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: herald-retention',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: retention',
        '          livenesProbe:',
        '            periodSeconds: 5',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails the schema validation (a wrong field type) and the unknown-field check (a typo)', () => {
    const objects = render(path.join(dir, 'overlays', 'broken'));
    expect(schemaErrors(objects)).toEqual(['Deployment/herald-api: data/spec/replicas must be integer']);
    expect(unknownFieldErrors(objects)).toEqual([
      "Deployment/herald-api: Type 'string' is not assignable to type 'number'.",
      expect.stringMatching(/^Deployment\/herald-retention: .*'"livenesProbe"' does not exist in type 'IContainer'/),
    ]);
  });
});

type Mutable = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test surgery on parsed YAML
const pod = (objects: K8sObject[], id: string): Mutable => (find<Mutable>(objects, id).spec as Mutable).template.spec as Mutable;

/** One breakage per check: each must report it, or the check could not fail. */
const BREAKAGES: [keyof typeof POLICY_CHECKS, string, (objects: K8sObject[]) => void, RegExp][] = [
  ['configuration', 'HOST left at loopback', (o) => (find<Mutable>(o, 'ConfigMap/herald-config').data.HOST = '127.0.0.1'), /loopback/],
  ['configuration', 'a misspelt variable', (o) => (find<Mutable>(o, 'ConfigMap/herald-config').data.HERALD_DISPATCH_CONCURRENCY = '10'), /HERALD_DISPATCH_CONCURRENCY is not a variable/],
  ['configuration', 'a value the process refuses', (o) => (find<Mutable>(o, 'ConfigMap/herald-config').data.HERALD_LOG_LEVEL = 'verbose'), /refused at boot:[\s\S]*HERALD_LOG_LEVEL="verbose"/],
  ['probes', 'no liveness probe', (o) => delete pod(o, 'Deployment/herald-dispatcher').containers[0].livenessProbe, /herald-dispatcher\/dispatcher: no livenessProbe/],
  ['probes', 'readiness on the liveness path', (o) => (pod(o, 'Deployment/herald-api').containers[0].readinessProbe.httpGet.path = '/api/v1/health/ping'), /readinessProbe must GET/],
  ['probes', 'a metrics port the process does not listen on', (o) => (pod(o, 'Deployment/herald-retention').containers[0].ports[0].containerPort = 9999), /retention: livenessProbe port/],
  ['resources', 'no memory limit', (o) => delete pod(o, 'Deployment/herald-api').containers[0].resources.limits, /herald-api\/api: no memory limit/],
  ['resources', 'a heap cap above the limit', (o) => (pod(o, 'Deployment/herald-dispatcher').containers[0].env.find((e: Mutable) => e.name === 'NODE_OPTIONS').value = '--max-old-space-size=4096'), /leaves too little/],
  ['security', 'a writable root filesystem', (o) => (pod(o, 'Job/herald-migrate').containers[0].securityContext.readOnlyRootFilesystem = false), /readOnlyRootFilesystem/],
  ['security', 'root', (o) => (pod(o, 'Deployment/herald-api').securityContext.runAsUser = 0), /runAsUser must be 1000/],
  ['shutdown', 'a grace period shorter than the drain', (o) => (pod(o, 'Deployment/herald-dispatcher').terminationGracePeriodSeconds = 20), /herald-dispatcher: terminationGracePeriodSeconds 20/],
  ['disruptionBudgets', 'a budget selecting nothing', (o) => (find<Mutable>(o, 'PodDisruptionBudget/herald-api').spec.selector.matchLabels['app.kubernetes.io/component'] = 'apii'), /selects 0 Deployments/],
  ['disruptionBudgets', 'a budget that blocks every drain', (o) => Object.assign(find<Mutable>(o, 'PodDisruptionBudget/herald-retention').spec, { maxUnavailable: undefined, minAvailable: 1 }), /would block every node drain/],
  ['autoscaler', 'an HPA aimed at the API', (o) => (find<Mutable>(o, 'HorizontalPodAutoscaler/herald-dispatcher').spec.scaleTargetRef.name = 'herald-api'), /expected the dispatcher/],
  ['autoscaler', 'replicas fighting the HPA', (o) => (find<Mutable>(o, 'Deployment/herald-dispatcher').spec.replicas = 2), /would reset under the HPA/],
  ['migrationJob', 'a ConfigMap left out of the pre-release apply', (o) => (find<Mutable>(o, 'ConfigMap/herald-config').metadata.labels['app.kubernetes.io/component'] = 'api'), /needs ConfigMap\/herald-config/],
  ['secrets', 'a database URL written into a manifest', (o) => (pod(o, 'Deployment/herald-api').containers[0].env.find((e: Mutable) => e.name === 'DATABASE_URL').value = 'postgresql://herald:hunter2@db/herald'), /DATABASE_URL must come from secretKeyRef/],
  ['secrets', 'a token in the ConfigMap', (o) => (find<Mutable>(o, 'ConfigMap/herald-config').data.HERALD_ADMIN_TOKEN = 'x'.repeat(32)), /HERALD_ADMIN_TOKEN is a secret/],
  ['images', 'latest', (o) => (pod(o, 'Deployment/herald-retention').containers[0].image = 'herald:latest'), /needs a fixed tag/],
  ['images', 'the wrong process', (o) => (pod(o, 'Deployment/herald-dispatcher').containers[0].command = ['node', 'dist/apps/api/src/main.js']), /herald-dispatcher\/dispatcher: command must be/],
  ['service', 'a Service selecting the workers', (o) => (find<Mutable>(o, 'Service/herald-api').spec.selector['app.kubernetes.io/component'] = 'dispatcher'), /expected the API pods only/],
];

describe('each check on a broken copy of the production overlay', () => {
  let rendered: string;
  beforeAll(() => {
    rendered = JSON.stringify(render(path.join(K8S_DIR, 'overlays', 'production')));
  });

  it.each(BREAKAGES)('%s reports %s', (check, _what, breakIt, expected) => {
    const objects = JSON.parse(rendered) as K8sObject[];
    expect(POLICY_CHECKS[check](objects)).toEqual([]);
    breakIt(objects);
    expect(POLICY_CHECKS[check](objects)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });
});
