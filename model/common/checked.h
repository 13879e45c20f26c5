// 64-bit arithmetic that cannot silently overflow: sizes, bytes and cycles go through these.
#pragma once

#include <cstdint>
#include <stdexcept>

namespace fusim {

inline std::int64_t mul_checked(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw std::overflow_error("64-bit overflow in a product");
  return r;
}

inline std::int64_t add_checked(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw std::overflow_error("64-bit overflow in a sum");
  return r;
}

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace fusim
