// JSON bodies into each route's spec mapping: the first byte picks a route, the rest is its
// body. The body goes through BodyDocument and every read_*_spec directly, then through
// Api::handle on the picked route (type checks, the library's validation, the handler), of
// either dialect.
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "json_io.hpp"

namespace {

struct BodyRoute {
  std::string_view method, target;
  bool original = false;  // a route of the original dialect's Api
};

// The routes that read a JSON body. The ids are those of fuzz_support.hpp's prime() (seed 42).
constexpr BodyRoute routes[] = {
    {"POST", "/api/v1/environments"},
    {"POST", "/api/v1/security-groups"},
    {"POST", "/api/v1/vms"},
    {"POST", "/api/v1/volumes"},
    {"POST", "/_mock/faults"},
    {"PATCH", "/_mock/config"},
    {"POST", "/_mock/clock/advance"},
    {"POST", "/_mock/reset"},
    {"POST", "/api/v1/environments/", true},
    {"POST", "/api/v1/security-groups/", true},
    {"POST", "/api/v1/vms/", true},
    {"POST", "/api/v1/volumes/", true},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto& h = fuzz::harness();
  h.next_input();
  const auto& route = routes[data[0] % std::size(routes)];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  {
    using namespace mockcloud::http;
    FieldErrors errors;
    BodyDocument doc{64};
    if (const auto* object = doc.parse(body, errors)) {
      (void)read_environment_spec(*object, errors);
      (void)read_security_group_spec(*object, errors);
      (void)read_vm_spec(*object, errors);
      (void)read_volume_spec(*object, errors);
      (void)read_fault_spec(*object, errors);
    }
    std::string out;
    write_field_errors(out, errors.list());
  }

  mockcloud::http::Request request;
  request.method = route.method;
  request.target = route.target;
  request.body = body;
  mockcloud::http::Response response;
  (route.original ? h.original_api : h.api).handle(request, response);
  fuzz::check_response(response);
  return 0;
}
