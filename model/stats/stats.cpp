#include "stats/stats.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace fusim {

std::string format_real(double v, Rounding r) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, r.significant ? "%.*g" : "%.*f", r.digits, v);
  return buf;
}

double round_for_output(double v, Rounding r) {
  return std::strtod(format_real(v, r).c_str(), nullptr);
}

const StatNode& StatNode::operator[](std::string_view name) const {
  for (const StatNode& c : children)
    if (c.info && c.info->name == name) return c;
  throw std::out_of_range("no stats field '" + std::string(name) + "'");
}

}  // namespace fusim
