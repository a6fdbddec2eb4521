#include "mockcloud/error.hpp"

namespace mockcloud {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mockcloud"; }
  std::string message(int v) const override {
    switch (static_cast<ErrorKind>(v)) {
      case ErrorKind::not_found:
        return "not found";
      case ErrorKind::conflict:
        return "conflict";
      case ErrorKind::invalid:
        return "invalid input";
      case ErrorKind::not_settled:
        return "operation not settled";
      case ErrorKind::cancelled:
        return "the operation was cancelled: the manager was reset or destroyed";
    }
    return "unknown mockcloud error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace mockcloud
