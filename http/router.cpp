#include "router.hpp"

#include <stdexcept>

namespace mockcloud::http {
namespace {

bool is_parameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Splits "/a/b/c" into {"a","b","c"}; false when there are too many segments or an empty one.
template <std::size_t N>
bool split(std::string_view path, std::array<std::string_view, N>& out, std::size_t& size) {
  size = 0;
  if (path.empty() || path.front() != '/') return false;
  if (path.size() == 1) return true;  // "/"
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (end == start || size == N) return false;
    out[size++] = path.substr(start, end - start);
    start = end + 1;
  }
  return true;
}

// Whether `item` is `collection` followed by one parameter segment ("/api/v1/vms/{id}").
bool is_item_of(std::string_view item, std::string_view collection) {
  return item.size() > collection.size() + 2 && item.starts_with(collection) &&
         item[collection.size()] == '/' && item[collection.size() + 1] == '{' &&
         item.back() == '}' && item.find('/', collection.size() + 1) == std::string_view::npos;
}

}  // namespace

std::string Router::documented_path(const Route& route) {
  std::string path(route.path);
  if (route.collection) path += '/';
  return path;
}

void Router::add(const Route& route) {
  Compiled c;
  if (!split(route.path, c.segments, c.size) || route.handler == nullptr)
    throw std::invalid_argument("bad route: " + std::string(route.path));
  std::size_t params = 0;
  for (std::size_t i = 0; i < c.size; ++i)
    params += is_parameter(c.segments[i]);
  if (params > Params::capacity)
    throw std::invalid_argument("too many parameters: " + std::string(route.path));
  routes_.push_back(route);
  compiled_.push_back(c);
  Route& added = routes_.back();
  for (auto& other : routes_) {
    if (is_item_of(other.path, added.path)) added.collection = true;
    if (is_item_of(added.path, other.path)) other.collection = true;
  }
  for (auto& other : routes_)  // every method of a path alike
    if (other.path == added.path) other.collection = other.collection || added.collection;
  for (auto& other : routes_)
    if (other.path == added.path) added.collection = added.collection || other.collection;
}

std::string_view Router::normalize(std::string_view target, std::string_view& query) {
  const auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  std::array<std::string_view, max_segments> segments;
  std::size_t size = 0;
  if (!split(path, segments, size)) return m;
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    const Compiled& c = compiled_[r];
    if (c.size != size) continue;
    Params params;
    bool same = true;
    for (std::size_t i = 0; i < size && same; ++i) {
      if (is_parameter(c.segments[i]))
        params.values[params.size++] = segments[i];
      else
        same = c.segments[i] == segments[i];
    }
    if (!same) continue;
    const Route& route = routes_[r];
    if (route.method == method) {
      m.outcome = Outcome::found;
      m.route = &route;
      m.params = params;
      return m;
    }
    if (m.of_path == nullptr) m.of_path = &route;
    if (m.allow.find(route.method) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += route.method;
    }
  }
  if (!m.allow.empty()) m.outcome = Outcome::method_not_allowed;
  return m;
}

}  // namespace mockcloud::http
