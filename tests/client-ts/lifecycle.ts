// A VM's and a volume's life through the TypeScript client that @hey-api/openapi-ts generates from
// the server's /openapi.json (ts-client.test.js generates it into ./client beside this file in the
// build tree, compiles both with tsc and runs the result). Only the generated functions are used;
// each step asserts its status and what the body says. MOCKCLOUD_URL is the server's base URL; it
// runs with --clock virtual, so that waiting is moving the clock with POST /_mock/clock/advance.
import {
  advanceClock,
  attachVolume,
  createEnvironment,
  createVm,
  createVolume,
  deleteVm,
  deleteVolume,
  detachVolume,
  getVm,
  getVolume,
  patchConfig,
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
  check(result.data !== undefined || status === 204, `${what}: no body`);
  if (!quiet) console.log(`ok ${step} - ${what} (${got})`);
  return result.data as T;
}

/// Moves the virtual clock by `seconds`, through the generated test-control operation.
async function advance(seconds: number): Promise<void> {
  const r = await advanceClock({ body: { seconds } });
  check(r.response.status === 200 && r.data !== undefined, `advance the clock: ${r.response.status}`);
}

/// Advances the clock 5 s at a time, at most `limit` times, until `done` says so.
async function poll(what: string, done: () => Promise<boolean>, limit = 60): Promise<void> {
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

async function main(): Promise<void> {
  // No creation failing at random: the lifecycle is the point here.
  const settings = expect(
    await patchConfig({ body: { worker_failure_rate: 0 } }),
    200,
    'PATCH /_mock/config worker_failure_rate 0',
  );
  check(settings.worker_failure_rate === 0, 'the failure rate is 0');

  const env = expect(
    await createEnvironment({ body: { name: 'ts-client', cidr: '10.42.0.0/24' } }),
    201,
    'create an environment',
  );
  check(env.name === 'ts-client' && env.cidr === '10.42.0.0/24', 'the environment as asked');

  const created = expect(
    await createVm({ body: { name: 'ts-vm', environment_id: env.id, cpu: 2, memory_mb: 2048 } }),
    202,
    'create a VM',
  );
  check(created.status === 'creating', `the VM is creating, not ${created.status}`);
  check(created.environment_id === env.id && created.cpu === 2, 'the VM as asked');
  check(created.ip_address === null, 'no IP address while creating');

  let vm = created;
  await poll('the VM is running', async () => {
    vm = expect(await getVm({ path: { id: created.id } }), 200, 'get the VM', true);
    check(vm.status === 'creating' || vm.status === 'running', `VM status ${vm.status}`);
    return vm.status === 'running';
  });
  check(vm.progress === 100 && typeof vm.ip_address === 'string', 'running: progress 100, an IP');

  const createdVolume = expect(
    await createVolume({ body: { name: 'ts-data', environment_id: env.id, size_gb: 10 } }),
    202,
    'create a volume',
  );
  check(createdVolume.status === 'creating' && createdVolume.size_gb === 10, 'the volume as asked');

  let volume = createdVolume;
  await poll('the volume is available', async () => {
    volume = expect(await getVolume({ path: { id: createdVolume.id } }), 200, 'get the volume', true);
    check(volume.status === 'creating' || volume.status === 'available', `volume ${volume.status}`);
    return volume.status === 'available';
  });

  const attached = expect(
    await attachVolume({ path: { id: volume.id, vm_id: vm.id } }),
    200,
    'attach the volume to the VM',
  );
  check(attached.status === 'in-use' && attached.vm_id === vm.id, 'the volume is in use by the VM');
  vm = expect(await getVm({ path: { id: vm.id } }), 200, 'get the VM with its volume');
  check(vm.volume_ids.length === 1 && vm.volume_ids[0] === volume.id, 'the VM lists the volume');

  const detached = expect(
    await detachVolume({ path: { id: volume.id } }),
    200,
    'detach the volume',
  );
  check(detached.status === 'available' && detached.vm_id === null, 'the volume is available');
  vm = expect(await getVm({ path: { id: vm.id } }), 200, 'get the VM without volumes');
  check(vm.volume_ids.length === 0, 'the VM lists no volume');

  const deletingVolume = expect(
    await deleteVolume({ path: { id: volume.id } }),
    202,
    'delete the volume',
  );
  check(deletingVolume.status === 'deleting', `the volume is deleting, not ${deletingVolume.status}`);

  const deleting = expect(await deleteVm({ path: { id: vm.id } }), 202, 'delete the VM');
  check(deleting.status === 'deleting', `the VM is deleting, not ${deleting.status}`);

  await poll('the VM and the volume are gone (404)', async () => {
    const v = await getVm({ path: { id: vm.id } });
    const d = await getVolume({ path: { id: volume.id } });
    check([200, 404].includes(v.response.status), `get the VM: ${v.response.status}`);
    check([200, 404].includes(d.response.status), `get the volume: ${d.response.status}`);
    if (v.data) check(v.data.status === 'deleting', `the VM is ${v.data.status}`);
    if (d.data) check(d.data.status === 'deleting', `the volume is ${d.data.status}`);
    return v.response.status === 404 && d.response.status === 404;
  });
  const gone = await getVm({ path: { id: vm.id } });
  check(
    typeof gone.error === 'object' &&
      gone.error !== null &&
      'detail' in gone.error &&
      String(gone.error.detail).includes(vm.id),
    `the 404 says which VM: ${JSON.stringify(gone.error)}`,
  );
  console.log(`1..${step}`);
}

main().catch((e: unknown) => {
  console.error(`not ok ${step} - ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
