// The headers nearly every test file includes, precompiled once for fusim_tests
// (target_precompile_headers in tests/CMakeLists.txt) instead of parsed again in each of its
// 30-odd files: Catch2's single header, test_util.h (the driver, the loaders) and the scheduler's
// main headers. Each test file still includes what it uses.
#pragma once

// test_interconnect.cpp prints (id, time) pairs in its failures and defines this before it
// includes Catch; the same (empty) definition here keeps that true when Catch comes from here.
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "arch/arch_io.h"
#include "cost/cost_model.h"
#include "lower/lower.h"
#include "network/network.h"
#include "search/search.h"
#include "simulate.h"
#include "test_util.h"
