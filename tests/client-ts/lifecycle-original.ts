// The original's resources through the TypeScript client that @hey-api/openapi-ts generates from
// the /openapi.json of `mockcloud-server --dialect original` (ts-client-original.test.js generates
// it into ./client beside this file in the build tree, compiles both with tsc and runs the
// result): environment, security group, VM, volume, attach, detach, deletions. The functions come
// from ./api, which the test writes: the generated functions under these names, found by method
// and path (their own names follow the document's operationIds). The types are the original's
// component schemas, by the names the generator gives them. Only the virtual clock is moved with
// a plain fetch (POST /_mock/clock/advance). MOCKCLOUD_URL is the server's base URL.
import {
  attachVolume,
  createEnvironment,
  createSecurityGroup,
  createVm,
  createVolume,
  deleteEnvironment,
  deleteVm,
  deleteVolume,
  detachVolume,
  getVm,
  getVolume,
  listVms,
  listVolumes,
} from './api';
import type {
  EnvironmentResponse,
  SecurityGroupResponse,
  TaskResponse,
  VmResponse,
  VmStatus,
  VolumeResponse,
  VolumeStatus,
} from './client';
import { client } from './client/client.gen';

// Node's process, without @types/node.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };

const baseUrl = process.env.MOCKCLOUD_URL;
if (!baseUrl) throw new Error('MOCKCLOUD_URL is not set');
client.setConfig({ baseUrl });

let step = 0;
function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`step ${step}: ${what}`);
}

/// What every generated function resolves to (when it does not throw): the parsed body of a
/// listed success (`data`), or of an error (`error`), and the fetch Response.
interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/// The body of a response of status `status`, or a failure saying what came instead.
/// A step of its own, logged, unless `quiet` (a request of a poll).
function expect<T>(result: Result<T>, status: number, what: string, quiet = false): T {
  if (!quiet) step++;
  const got = result.response.status;
  check(got === status, `${what}: status ${got}, not ${status}: ${JSON.stringify(result.error)}`);
  check(result.data !== undefined, `${what}: no body`);
  if (!quiet) console.log(`ok ${step} - ${what} (${got})`);
  return result.data as T;
}

/// The `message` of a `{"message": "..."}` body (the original documents these bodies as any JSON).
function messageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('message' in body)) return undefined;
  return typeof body.message === 'string' ? body.message : undefined;
}

/// A started task of a VM or volume: its status, message and, on creates, the resource.
function checkTask(task: TaskResponse, message: string, resourceType?: string): void {
  check(/^[0-9a-f-]{36}$/.test(task.task_id), `a task id: ${task.task_id}`);
  check(task.status === 'started' && task.message === message,
        `${message}: ${JSON.stringify(task)}`);
  if (resourceType !== undefined)
    check(typeof task.id === 'number' && task.resource_type === resourceType,
          `the task names the ${resourceType}: ${JSON.stringify(task)}`);
}

/// Moves the virtual clock by `seconds`: test control, not in the generated client's tasks here.
async function advance(seconds: number): Promise<void> {
  const r = await fetch(`${baseUrl}/_mock/clock/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ seconds }),
  });
  check(r.status === 200, `advance the clock: ${r.status} ${await r.text()}`);
}

/// Advances the clock 5 s at a time, at most `limit` times, until `done` says so.
async function poll(what: string, done: () => Promise<boolean>, limit = 30): Promise<void> {
  step++;
  for (let i = 0; i < limit; i++) {
    if (await done()) {
      console.log(`ok ${step} - ${what} (${i * 5} s of virtual time)`);
      return;
    }
    await advance(5);
  }
  check(false, `${what}: not after ${limit * 5} s of virtual time`);
}

/// Whether an IPv4 address lies in 10.77.0.0/16.
const inNetwork = (ip: string | null | undefined): boolean =>
  typeof ip === 'string' && /^10\.77\.\d{1,3}\.\d{1,3}$/.test(ip);

async function main(): Promise<void> {
  const env: EnvironmentResponse = expect(
    await createEnvironment({
      body: { name: 'ts-env', network_cidr: '10.77.0.0/16', description: 'from the TS client' },
    }),
    200,
    'create an environment',
  );
  check(env.network_cidr === '10.77.0.0/16' && env.description === 'from the TS client',
        `the environment as asked: ${JSON.stringify(env)}`);

  const rules = JSON.stringify({ inbound: [{ protocol: 'tcp', port: 22, source: '0.0.0.0/0' }] });
  const sg: SecurityGroupResponse = expect(
    await createSecurityGroup({ body: { name: 'ts-sg', description: null, rules } }),
    200,
    'create a security group',
  );
  check(sg.rules === rules && sg.description === null, `the rules as given: ${sg.rules}`);

  const vmTask: TaskResponse = expect(
    await createVm({
      body: {
        name: 'ts-vm', instance_type: 't3.micro', environment_id: env.id, security_group_id: sg.id,
      },
    }),
    200,
    'create a VM',
  );
  checkTask(vmTask, 'VM creation started', 'vm');
  const vmId = vmTask.id as number;

  const pending: VmResponse = expect(await getVm({ path: { vm_id: vmId } }), 200, 'get the VM');
  check(pending.status === 'pending' && pending.resource_status === 'pending',
        `VM ${pending.status}`);
  check(pending.instance_type === 't3.micro' && pending.security_group_id === sg.id,
        'the VM as asked');

  const creating: VmStatus[] = ['pending', 'starting', 'running'];
  await poll('the VM is running', async () => {
    const vm = expect(await getVm({ path: { vm_id: vmId } }), 200, 'get the VM', true);
    check(creating.includes(vm.status), `VM status ${vm.status}`);
    return vm.status === 'running';
  });
  const vm: VmResponse = expect(await getVm({ path: { vm_id: vmId } }), 200, 'get it running');
  check(vm.status === 'running' && vm.resource_status === 'active' && inNetwork(vm.ip_address),
        `running: active, an IP in 10.77.0.0/16: ${JSON.stringify(vm)}`);

  const volumeTask: TaskResponse = expect(
    await createVolume({ body: { name: 'ts-vol', size_gb: 8, environment_id: env.id } }),
    200,
    'create a volume',
  );
  checkTask(volumeTask, 'Volume creation started', 'volume');
  const volumeId = volumeTask.id as number;

  let volume: VolumeResponse | undefined;
  const arriving: VolumeStatus[] = ['pending', 'creating', 'available'];
  await poll('the volume is available', async () => {
    volume = expect(await getVolume({ path: { volume_id: volumeId } }), 200, 'get it', true);
    check(arriving.includes(volume.status), `volume ${volume.status}`);
    return volume.status === 'available';
  });

  const attached = expect(
    await attachVolume({ path: { volume_id: volumeId, vm_id: vmId } }),
    200,
    'attach the volume to the VM',
  );
  check(messageOf(attached) === 'Volume attached to VM successfully', JSON.stringify(attached));
  volume = expect(await getVolume({ path: { volume_id: volumeId } }), 200, 'get it attached');
  check(volume.status === 'in_use' && volume.vm_id === vmId, `in use by the VM: ${volume.status}`);

  const detached = expect(
    await detachVolume({ path: { volume_id: volumeId } }),
    200,
    'detach the volume',
  );
  check(messageOf(detached) === 'Volume detached from VM successfully', JSON.stringify(detached));
  volume = expect(await getVolume({ path: { volume_id: volumeId } }), 200, 'get it detached');
  check(volume.status === 'available' && volume.vm_id === null, `available: ${volume.status}`);

  checkTask(
    expect(await deleteVolume({ path: { volume_id: volumeId } }), 200, 'delete the volume'),
    'Volume deletion started',
  );
  checkTask(expect(await deleteVm({ path: { vm_id: vmId } }), 200, 'delete the VM'),
            'VM deletion started');

  await poll('the VM and the volume are deleted', async () => {
    const v = expect(await getVm({ path: { vm_id: vmId } }), 200, 'get the VM', true);
    const d = expect(await getVolume({ path: { volume_id: volumeId } }), 200, 'get it', true);
    check(['deleting', 'deleted'].includes(v.status), `the VM is ${v.status}`);
    check(['deleting', 'deleted'].includes(d.status), `the volume is ${d.status}`);
    check(v.resource_status === v.status && d.resource_status === d.status, 'both fields alike');
    return v.status === 'deleted' && d.status === 'deleted';
  });

  const vms = expect(await listVms({}), 200, 'list the VMs');
  check(vms.vms.some((v) => v.id === vmId && v.status === 'deleted'), 'the deleted VM is listed');
  check(vms.total === vms.vms.length, `total ${vms.total}`);
  const volumes = expect(await listVolumes({ query: { skip: 0, limit: 10 } }), 200, 'list volumes');
  check(volumes.volumes.some((v) => v.id === volumeId && v.status === 'deleted'),
        'the deleted volume is listed');

  const gone = expect(
    await deleteEnvironment({ path: { environment_id: env.id } }),
    200,
    'delete the environment (all in it deleted)',
  );
  check(messageOf(gone) === 'Environment deleted successfully', JSON.stringify(gone));
  const missing = await getVm({ path: { vm_id: 9999 } });
  step++;
  check(missing.response.status === 404 &&
          JSON.stringify(missing.error).includes('RESOURCE_NOT_FOUND'),
        `an unknown VM: ${missing.response.status} ${JSON.stringify(missing.error)}`);
  console.log(`ok ${step} - an unknown VM is a 404 RESOURCE_NOT_FOUND`);
  console.log(`1..${step}`);
}

main().catch((e: unknown) => {
  console.error(`not ok ${step} - ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
