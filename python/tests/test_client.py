"""Resources, attach/detach and errors through the MockCloud client."""

import pytest

from mockcloud import MockCloudError


@pytest.fixture
def env(mockcloud):
    mockcloud.patch_config(worker_failure_rate=0)
    return mockcloud.create_environment("dev", cidr="10.20.0.0/24")


def test_environments_and_security_groups(mockcloud, env):
    assert env["status"] == "active" and env["cidr"] == "10.20.0.0/24"
    assert mockcloud.get_environment(env["id"]) == env
    assert mockcloud.list_environments(name="dev") == [env]
    sg = mockcloud.create_security_group(
        "web", env, rules=[{"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}])
    assert sg["rules"][0]["port_range_max"] == 22
    assert mockcloud.list_security_groups(environment=env) == [sg]
    vm = mockcloud.create_vm("web-1", env, security_groups=[sg])
    assert vm["security_group_ids"] == [sg["id"]]
    with pytest.raises(MockCloudError) as e:
        mockcloud.delete_security_group(sg)
    assert e.value.status == 409
    mockcloud.delete_vm(vm)
    mockcloud.settle()
    mockcloud.delete_security_group(sg)
    mockcloud.delete_environment(env)
    assert mockcloud.list_environments() == []


def test_vm_lifecycle_and_tasks(mockcloud, env):
    vm = mockcloud.create_vm("web-1", env, cpu=2, memory_mb=2048)
    assert (vm["status"], vm["progress"], vm["ip_address"]) == ("creating", 0, None)
    task = mockcloud.get_task(vm["task_id"])
    assert (task["kind"], task["state"], task["resource_id"]) == ("vm.create", "STARTED", vm["id"])
    assert mockcloud.list_vms(status="creating") == [vm]
    assert mockcloud.settle() == 1
    vm = mockcloud.get_vm(vm)
    assert vm["status"] == "running" and vm["ip_address"].startswith("10.20.0.")
    assert mockcloud.get_task(task)["state"] == "SUCCESS"
    assert mockcloud.delete_vm(vm)["status"] == "deleting"
    mockcloud.settle()
    with pytest.raises(MockCloudError) as e:
        mockcloud.get_vm(vm)
    assert e.value.status == 404
    assert [t["kind"] for t in mockcloud.list_tasks(resource=vm)] == ["vm.create", "vm.delete"]


def test_attach_and_detach(mockcloud, env):
    vm = mockcloud.create_vm("db-1", env)
    volume = mockcloud.create_volume("data", env, 20, volume_type="ssd")
    assert volume["status"] == "creating"
    with pytest.raises(MockCloudError) as e:  # not available yet
        mockcloud.attach_volume(volume, vm)
    assert e.value.status == 409 and "only an available volume" in e.value.detail
    mockcloud.settle()
    attached = mockcloud.attach_volume(volume, vm)
    assert (attached["status"], attached["vm_id"]) == ("in-use", vm["id"])
    assert mockcloud.get_vm(vm)["volume_ids"] == [volume["id"]]
    with pytest.raises(MockCloudError) as e:
        mockcloud.delete_volume(volume)
    assert e.value.status == 409 and "detach it first" in e.value.detail
    detached = mockcloud.detach_volume(volume)
    assert (detached["status"], detached["vm_id"]) == ("available", None)
    assert mockcloud.get_vm(vm)["volume_ids"] == []
    with pytest.raises(MockCloudError) as e:
        mockcloud.detach_volume(volume)
    assert e.value.status == 409
    assert mockcloud.delete_volume(volume)["status"] == "deleting"
    mockcloud.wait_for(volume, "deleted")
    assert mockcloud.list_volumes() == []


def test_errors_carry_status_and_detail(mockcloud, env):
    with pytest.raises(MockCloudError) as e:
        mockcloud.get_vm("00000000-0000-4000-8000-000000000000")
    assert e.value.status == 404
    assert e.value.detail == "VM 00000000-0000-4000-8000-000000000000 not found"
    assert "HTTP 404" in str(e.value) and "/api/v1/vms/" in str(e.value)

    with pytest.raises(MockCloudError) as e:
        mockcloud.create_environment("dev")
    assert e.value.status == 409
    assert e.value.detail == "Environment name 'dev' already exists"

    with pytest.raises(MockCloudError) as e:
        mockcloud.create_vm("web-1", env, cpu=100, memory_mb="lots")
    assert e.value.status == 422
    assert {tuple(p["loc"]) for p in e.value.detail} == {("body", "cpu"), ("body", "memory_mb")}
    assert "Input should be less than or equal to 64" in e.value.messages
    assert "body.cpu: Input should be less than or equal to 64" in str(e.value)

    with pytest.raises(MockCloudError) as e:
        mockcloud.create_vm("web-1", "no-such-environment")
    assert e.value.status == 404


def test_route_faults(mockcloud, env):
    mockcloud.fail_route("POST /api/v1/vms", 503)
    with pytest.raises(MockCloudError) as e:
        mockcloud.create_vm("web-1", env)
    assert (e.value.status, e.value.detail) == (503, "injected fault")
    assert mockcloud.list_vms() == []
    mockcloud.clear_faults()
    assert mockcloud.create_vm("web-1", env)["status"] == "creating"


def test_lists_are_fetched_page_by_page(mockcloud, env):
    for i in range(5):
        mockcloud.create_volume(f"v{i}", env, 1)
    everything = mockcloud.list_volumes()
    assert len(everything) == 5
    assert mockcloud.list_volumes(limit=2) == everything[:2]  # one page
    assert mockcloud.list_volumes(skip=3) == everything[3:]
    mockcloud.page_size = 2
    assert mockcloud.list_volumes() == everything  # three requests


def test_idempotency_key(mockcloud, env):
    first = mockcloud.create_vm("web-1", env, idempotency_key="k1")
    assert mockcloud.create_vm("web-1", env, idempotency_key="k1") == first
    assert len(mockcloud.list_vms()) == 1
