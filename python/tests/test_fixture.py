"""The mockcloud fixture gives each test a clean cloud, with the same seed."""


def test_a_test_creates_resources(mockcloud):
    env = mockcloud.create_environment("leaky", cidr="10.9.0.0/24")
    mockcloud.create_vm("left-behind", env)
    mockcloud.fail_next("vm.create", 3)
    mockcloud.patch_config(worker_failure_rate=1)
    mockcloud.advance(5)
    assert len(mockcloud.list_environments()) == 1


def test_the_next_test_sees_nothing(mockcloud):
    # Runs after the test above (pytest keeps the order of the file): the reset removed it all.
    assert mockcloud.list_environments() == []
    assert mockcloud.list_vms() == []
    assert mockcloud.list_tasks() == []
    assert mockcloud.faults() == []
    assert mockcloud.config()["worker_failure_rate"] == 0.1
    assert mockcloud.clock() == {"mode": "virtual", "now": "2030-01-01T00:00:00.000Z"}
    assert mockcloud.health()["counts"] == {"environments": 0, "security_groups": 0, "vms": 0,
                                            "volumes": 0, "tasks": 0}


def _first_vm(mockcloud):
    env = mockcloud.create_environment("dev")
    vm = mockcloud.create_vm("web-1", env)
    mockcloud.settle()
    return env["id"], mockcloud.get_vm(vm)


def test_the_same_seed_gives_the_same_cloud(mockcloud, mockcloud_server):
    first = _first_vm(mockcloud)
    mockcloud.reset()  # keeps the fixture's seed
    assert _first_vm(mockcloud) == first
    mockcloud.reset(seed=7)
    assert _first_vm(mockcloud)[0] != first[0]
