"""settle(), wait_for() and operation faults under the session's virtual clock."""

import ipaddress
from datetime import timedelta

import pytest

from mockcloud import MockCloudTimeout, parse_time

START = parse_time("2030-01-01T00:00:00.000Z")


def test_settle_brings_100_vms_to_running_or_error(mockcloud):
    env = mockcloud.create_environment("dev", cidr="10.30.0.0/24")
    network = ipaddress.ip_network(env["cidr"])
    vms = [mockcloud.create_vm(f"vm-{i:03}", env) for i in range(100)]
    assert all(vm["status"] == "creating" for vm in vms)

    assert mockcloud.settle() == 100

    vms = mockcloud.list_vms(environment=env)
    assert len(vms) == 100
    statuses = [vm["status"] for vm in vms]
    assert set(statuses) <= {"running", "error"}
    assert 70 <= statuses.count("running") < 100  # worker_failure_rate 0.1, seed 42
    running = [vm for vm in vms if vm["status"] == "running"]
    assert all(ipaddress.ip_address(vm["ip_address"]) in network for vm in running)
    assert len({vm["ip_address"] for vm in running}) == len(running)
    assert all(vm["error"] and vm["ip_address"] is None for vm in vms if vm["status"] == "error")
    assert mockcloud.now() - START <= timedelta(seconds=60)  # creations take 30-60 s


def test_settle_follows_deletes_of_creating_resources(mockcloud):
    env = mockcloud.create_environment("dev")
    vm = mockcloud.create_vm("web-1", env)
    volume = mockcloud.create_volume("data", env, 5)
    mockcloud.delete_vm(vm)
    mockcloud.delete_volume(volume)
    mockcloud.settle()
    assert mockcloud.list_vms() == [] and mockcloud.list_volumes() == []
    states = sorted(t["state"] for t in mockcloud.list_tasks())
    assert states == ["REVOKED", "REVOKED", "SUCCESS", "SUCCESS"]
    assert mockcloud.settle() == 0  # nothing in flight: no advance


def test_fail_next_makes_the_next_vm_fail(mockcloud):
    mockcloud.patch_config(worker_failure_rate=0)
    env = mockcloud.create_environment("dev")
    mockcloud.fail_next("vm.create")
    doomed = mockcloud.create_vm("doomed", env)
    fine = mockcloud.create_vm("fine", env)
    mockcloud.settle()
    doomed = mockcloud.get_vm(doomed)
    assert doomed["status"] == "error"
    assert doomed["error"] == "injected fault: vm.create failed"
    assert mockcloud.get_task(doomed["task_id"])["state"] == "FAILURE"
    assert mockcloud.get_vm(fine)["status"] == "running"
    assert mockcloud.faults() == []  # spent


def test_fail_next_volume_delete(mockcloud):
    mockcloud.patch_config(worker_failure_rate=0)
    env = mockcloud.create_environment("dev")
    volume = mockcloud.create_volume("data", env, 1)
    mockcloud.settle()
    mockcloud.fail_next("volume.delete", n=1)
    mockcloud.delete_volume(volume)
    volume = mockcloud.wait_for(volume, {"error", "deleted"})
    assert volume["error"] == "injected fault: volume.delete failed"


def test_wait_for_advances_the_virtual_clock_deadline_by_deadline(mockcloud):
    mockcloud.patch_config(worker_failure_rate=0, vm_creation_time_min=10,
                           vm_creation_time_max=10)
    env = mockcloud.create_environment("dev")
    first = mockcloud.create_vm("first", env)
    mockcloud.patch_config(vm_creation_time_min=50, vm_creation_time_max=50)
    second = mockcloud.create_vm("second", env)

    vm = mockcloud.wait_for(first, "running", timeout=30)
    assert vm["status"] == "running" and vm["ip_address"]
    assert (mockcloud.now() - START).total_seconds() == 10  # stopped at the first deadline
    assert mockcloud.get_vm(second)["status"] == "creating"

    def both_running():
        running = mockcloud.list_vms(status="running")
        return running if len(running) == 2 else None

    assert len(mockcloud.wait_for(both_running)) == 2  # the predicate's value is returned
    assert (mockcloud.now() - START).total_seconds() == 50


def test_wait_for_times_out_in_virtual_seconds(mockcloud):
    mockcloud.patch_config(vm_creation_time_min=30, vm_creation_time_max=30)
    env = mockcloud.create_environment("dev")
    vm = mockcloud.create_vm("slow", env)
    with pytest.raises(MockCloudTimeout, match=r"after 20 virtual s, vm .* is 'creating'"):
        mockcloud.wait_for(vm, "running", timeout=20)
    assert (mockcloud.now() - START).total_seconds() == 20
    mockcloud.settle()
    # Nothing in flight: nothing can change, so it fails at once instead of waiting.
    with pytest.raises(MockCloudTimeout, match="nothing is in flight"):
        mockcloud.wait_for(lambda: False, timeout=3600)
    assert (mockcloud.now() - START).total_seconds() == 30


def test_wait_for_needs_a_status_for_a_resource(mockcloud):
    env = mockcloud.create_environment("dev")
    with pytest.raises(TypeError):
        mockcloud.wait_for(env)
    assert mockcloud.wait_for(env, "active") == env
