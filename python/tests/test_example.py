def test_a_vm_gets_an_ip_and_a_disk(mockcloud):
    mockcloud.patch_config(worker_failure_rate=0)         # no random failures in this test
    env = mockcloud.create_environment("dev", cidr="10.1.0.0/24")
    mockcloud.fail_next("vm.create")                      # but the next creation fails
    broken = mockcloud.create_vm("web-1", env)
    vm = mockcloud.create_vm("web-2", env)
    disk = mockcloud.create_volume("data", env, size_gb=10)
    mockcloud.settle()                                    # 30-60 s of virtual time, at once
    assert mockcloud.get_vm(broken)["status"] == "error"
    assert mockcloud.attach_volume(disk, vm)["status"] == "in-use"
