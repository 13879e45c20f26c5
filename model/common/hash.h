// A 64-bit mixer for the places that need well-spread pseudo-random bits from an integer.
#pragma once

#include <cstdint>

namespace fusim {

// splitmix64's finaliser (Steele, Lea and Flood, OOPSLA 2014): every input bit moves every
// output bit, and distinct inputs give distinct outputs.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace fusim
