// ResourceManager and Operation: thin handles over the Core.
#include "mockcloud/manager.hpp"
#include "mockcloud/server_support.hpp"

#include <stdexcept>

#include "core.hpp"

namespace mockcloud {

namespace {
// With a store, a call returns only once what it changed (or saw) is durable; with a shared
// store, it first applies what the other processes wrote.
template <class F>
auto read(const detail::Core& core, F&& call) {
  core.refresh();
  auto result = call();
  core.sync();
  return result;
}
// A change: durable first, then its events handed to the subscribers, outside the lock.
template <class F>
auto write(detail::Core& core, F&& call) {
  core.refresh();
  auto result = call();
  core.sync();
  core.deliver_events();
  return result;
}
}  // namespace

ResourceManager::ResourceManager(ManagerOptions options, Clock& clock) {
  auto store = std::move(options.store);
  core_ = std::make_shared<detail::Core>(std::move(options), clock);
  if (store) {
    core_->open_store(std::move(store));
    core_->sync();
  }
}

ResourceManager::~ResourceManager() {
  core_->shutdown();
}

Result<Environment> ResourceManager::create_environment(const EnvironmentSpec& spec) {
  return write(*core_, [&] { return core_->create_environment(spec); });
}
Result<Environment> ResourceManager::get_environment(std::string_view id) const {
  return read(*core_, [&] { return core_->get_environment(id); });
}
Listing<Environment> ResourceManager::list_environments(const EnvironmentFilter& f, Page p) const {
  return read(*core_, [&] { return core_->list_environments(f, p); });
}
Result<Ok> ResourceManager::delete_environment(std::string_view id) {
  return write(*core_, [&] { return core_->delete_environment(id); });
}

Result<SecurityGroup> ResourceManager::create_security_group(const SecurityGroupSpec& spec) {
  return write(*core_, [&] { return core_->create_security_group(spec); });
}
Result<SecurityGroup> ResourceManager::get_security_group(std::string_view id) const {
  return read(*core_, [&] { return core_->get_security_group(id); });
}
Listing<SecurityGroup> ResourceManager::list_security_groups(const SecurityGroupFilter& f,
                                                             Page p) const {
  return read(*core_, [&] { return core_->list_security_groups(f, p); });
}
Result<Ok> ResourceManager::delete_security_group(std::string_view id) {
  return write(*core_, [&] { return core_->delete_security_group(id); });
}

Result<Operation<Vm>> ResourceManager::create_vm(const VmSpec& spec) {
  return write(*core_, [&] { return core_->create_vm(spec); });
}
Result<Vm> ResourceManager::get_vm(std::string_view id) const {
  return read(*core_, [&] { return core_->get_vm(id); });
}
Listing<Vm> ResourceManager::list_vms(const VmFilter& f, Page p) const {
  return read(*core_, [&] { return core_->list_vms(f, p); });
}
Result<Operation<Vm>> ResourceManager::delete_vm(std::string_view id) {
  return write(*core_, [&] { return core_->delete_vm(id); });
}

Result<Operation<Volume>> ResourceManager::create_volume(const VolumeSpec& spec) {
  return write(*core_, [&] { return core_->create_volume(spec); });
}
Result<Volume> ResourceManager::get_volume(std::string_view id) const {
  return read(*core_, [&] { return core_->get_volume(id); });
}
Listing<Volume> ResourceManager::list_volumes(const VolumeFilter& f, Page p) const {
  return read(*core_, [&] { return core_->list_volumes(f, p); });
}
Result<Operation<Volume>> ResourceManager::delete_volume(std::string_view id) {
  return write(*core_, [&] { return core_->delete_volume(id); });
}
Result<Volume> ResourceManager::attach_volume(std::string_view volume_id, std::string_view vm_id) {
  return write(*core_, [&] { return core_->attach_volume(volume_id, vm_id); });
}
Result<Volume> ResourceManager::detach_volume(std::string_view volume_id) {
  return write(*core_, [&] { return core_->detach_volume(volume_id); });
}

Result<Task> ResourceManager::get_task(std::string_view id) const {
  return read(*core_, [&] { return core_->get_task(id); });
}
Listing<Task> ResourceManager::list_tasks(const TaskFilter& f, Page p) const {
  return read(*core_, [&] { return core_->list_tasks(f, p); });
}

void ResourceManager::reset(std::optional<std::uint64_t> seed) {
  core_->refresh();
  core_->reset(seed);
  core_->sync();
  core_->deliver_events();
}
std::uint64_t ResourceManager::seed() const {
  core_->refresh();
  return core_->seed();
}
Settings ResourceManager::settings() const {
  core_->refresh();
  return core_->settings();
}
Result<Settings> ResourceManager::update_settings(const SettingsPatch& patch) {
  return read(*core_, [&] { return core_->update_settings(patch); });
}
Result<Fault> ResourceManager::add_fault(const FaultSpec& spec) {
  return read(*core_, [&] { return core_->add_fault(spec); });
}
std::vector<Fault> ResourceManager::faults() const {
  core_->refresh();
  return core_->faults();
}
Result<Ok> ResourceManager::remove_fault(std::string_view id) {
  return read(*core_, [&] { return core_->remove_fault(id); });
}
void ResourceManager::clear_faults() {
  core_->refresh();
  core_->clear_faults();
  core_->sync();
}
Counts ResourceManager::counts() const {
  core_->refresh();
  return core_->counts();
}
StatusCounts ResourceManager::status_counts() const {
  core_->refresh();
  return core_->status_counts();
}
Clock& ResourceManager::clock() const noexcept {
  return core_->clock();
}

Subscription ResourceManager::subscribe(std::function<void(const Event&)> callback,
                                        SubscribeOptions options) {
  if (!callback) throw std::invalid_argument("subscribe(): an empty callback");
  return core_->subscribe(std::move(callback), options);
}
Subscription ResourceManager::subscribe(SubscribeOptions options) {
  return core_->subscribe({}, options);
}
EventsSince ResourceManager::events_since(std::uint64_t seq, std::size_t max) const {
  return core_->events_since(seq, max);
}

EventsSince ResourceManager::recent_events(std::size_t max) const {
  return core_->recent_events(max);
}

std::vector<Violation> ResourceManager::check_invariants() const {
  core_->refresh();
  return core_->check_invariants();
}

const CloudModel& ResourceManager::model() const noexcept {
  return core_->model();
}

// ---- Operation ----

bool OperationBase::ready() const {
  return core_->op_ready(slot_, epoch_);
}

Task OperationBase::wait() const {
  bool settled = false;
  return core_->op_wait(slot_, epoch_, std::nullopt, settled);
}

std::optional<Task> OperationBase::wait_for(std::chrono::milliseconds timeout) const {
  bool settled = false;
  Task t = core_->op_wait(slot_, epoch_, timeout, settled);
  if (!settled) return std::nullopt;
  return t;
}

void OperationBase::on_settled(std::function<void(const Task&)> callback) const {
  core_->op_on_settled(slot_, epoch_, std::move(callback));
}

std::future<Task> OperationBase::future() const {
  auto promise = std::make_shared<std::promise<Task>>();
  auto f = promise->get_future();
  on_settled([promise](const Task& t) { promise->set_value(t); });
  return f;
}

template <class T>
T Operation<T>::get() const {
  wait();
  if constexpr (std::is_same_v<T, Vm>)
    return read(*core_, [&] { return core_->get_vm(resource_.id).value(); });
  else
    return read(*core_, [&] { return core_->get_volume(resource_.id).value(); });
}

template class Operation<Vm>;
template class Operation<Volume>;

ServerSupport::ServerSupport(ResourceManager& manager) : core_(manager.core_) {}
std::optional<int> ServerSupport::draw_route_fault(std::string_view route) {
  return core_->draw_route_fault(route);
}
std::chrono::milliseconds ServerSupport::injected_latency() const {
  return core_->injected_latency();
}
void ServerSupport::after_durable(std::function<void(bool)> callback) {
  core_->after_durable(std::move(callback));
}
bool ServerSupport::durable() const noexcept {
  return core_->durable();
}
void ServerSupport::wait_callbacks() {
  core_->wait_callbacks();
}
bool ServerSupport::shared() const noexcept {
  return core_->shared();
}
std::string ServerSupport::unavailable() const {
  return core_->unavailable();
}
void ServerSupport::refresh() {
  core_->refresh();
}
bool ServerSupport::needs_catch_up() const {
  return core_->needs_catch_up();
}
void ServerSupport::catch_up_async(std::function<void()> done) {
  core_->catch_up_async(std::move(done));
}
bool ServerSupport::needs_head() const {
  return core_->needs_head();
}
void ServerSupport::wait_head_async(std::function<void(std::string)> done) {
  core_->wait_head_async(std::move(done));
}
ServerSupport::CaughtUp::CaughtUp(bool caught_up) : on_(caught_up) {
  if (on_) ++detail::CaughtUp::depth;
}
ServerSupport::CaughtUp::~CaughtUp() {
  if (on_) --detail::CaughtUp::depth;
}
std::size_t ServerSupport::advance_clock(VirtualClock& clock, Duration d) {
  return core_->advance_clock(clock, d);
}

}  // namespace mockcloud
